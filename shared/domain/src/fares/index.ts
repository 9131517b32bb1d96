export { busFareFen } from './bus-fare.js';
export { applyDiscounts, type DiscountInput, type Discounted } from './discounts.js';
export { FareDataError, PricingError, type PricingErrorCode } from './errors.js';
export { busRoutesMax, metroBandsMax, parseFareTable, transferWindowMsMax } from './fare-table.js';
export { FareTables } from './fare-tables.js';
export { dayMs, localDayEndBoundMs, localDayOf, localMsOfDay } from './local-time.js';
export { metroFareFen } from './metro-fare.js';
export {
  linesMax,
  type MetroLine,
  MetroNetwork,
  type MetroStation,
  parseNetwork,
  segmentMMax,
  segmentMMin,
  stationNameLengthMax,
  stationsPerLineMax,
  transfersMax,
} from './network.js';
export type { BusFareRules, FareTable, MetroFareBand, MetroFareRules, TaxiFareRules } from './rules.js';
export { inNightWindow, type TaxiFare, taxiFare, type TaxiRide } from './taxi-fare.js';
