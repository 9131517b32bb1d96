export { type Adjustment, type AdjustmentKind, adjustmentKinds, parseAdjustment } from './adjustment.js';
export { AssertionError, aBytes, aSafeUint, assert } from './assert.js';
export { cardNumberDigitsMax, cardNumberDigitsMin, looksLikeCardNumber } from './card-number.js';
export {
  type AdjustmentEntry,
  adjustmentEntry,
  type Entry,
  entryAccount,
  type EntryType,
  entryTypes,
  parseEntry,
  type TapEntry,
  tapEntry,
  type TripEntry,
  tripEntry,
} from './entry.js';
export { type ValidationCode, ValidationError } from './errors.js';
export { inheritsNoFields, isText } from './fields.js';
export {
  type EventTimeProblem,
  type EventTimeReason,
  eventTimeSkewIssue,
  formatEventTime,
  type ParsedEventTime,
  parseEventTime,
  type SkewLimits,
} from './event-time.js';
export * as examples from './examples.js';
export * from './limits.js';
export { formatFen, isFen, sumFen } from './money.js';
export { isMode, isTapKind, type Mode, modes, type TapKind, tapKindAllowed, tapKinds } from './mode.js';
export { mulberry32, seededIntegers } from './seeded-random.js';
export { type BusTap, type MetroTap, parseTap, type Tap, type TapFieldValues, type TaxiTap, tapKey, tapOfFields } from './tap.js';
export {
  type BusTrip,
  checkTapKey,
  isParsedTrip,
  type MetroCompleteTrip,
  type MetroIncompleteTrip,
  type MetroTrip,
  parseTrip,
  type TaxiTrip,
  type Trip,
  tripIdFor,
  tripReasonCodes,
  type TripStatus,
  tripStatuses,
} from './trip.js';
