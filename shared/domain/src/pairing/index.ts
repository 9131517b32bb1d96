export {
  type TripBuilderConfig,
  TripBuilder,
  tripBuilderDefaults,
  type TripBuilderDeps,
  tripsOfSealedTap,
} from './trip-builder.js';
export {
  type AccountRow,
  parseTripBuilderState,
  type PendingRow,
  type TripBuilderState,
  TripBuilderStateError,
} from './state.js';
