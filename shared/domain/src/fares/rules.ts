// The rules of one fare table, per mode, as the engine uses them (parsed and checked by
// fare-table.ts). Amounts in integer fen, distances in metres, times in ms or s as named.

/**
 * Metro by distance: `baseFen` up to and including `baseDistanceM`; past it, each band adds
 * `stepFen` per started `stepM` of the distance inside the band. Band i covers
 * (fromM, toM]; fromM of the first band is baseDistanceM, of the next the previous toM; the
 * last band is open (toM = Infinity). Every closed band is a whole number of steps, so a
 * step never straddles two bands.
 */
export interface MetroFareRules {
  readonly baseFen: number;
  readonly baseDistanceM: number;
  readonly bands: readonly MetroFareBand[];
}

export interface MetroFareBand {
  readonly fromM: number;
  /** Infinity for the last band. */
  readonly toM: number;
  readonly stepM: number;
  readonly stepFen: number;
}

/** Bus: a flat fare per route, and a discount for a bus boarded soon after a metro or bus trip. */
export interface BusFareRules {
  readonly defaultFen: number;
  readonly routes: ReadonlyMap<string, number>;
  /** A bus trip that starts 0 ..= transferWindowMs after the previous trip's end is a transfer. */
  readonly transferWindowMs: number;
  readonly transferDiscountFen: number;
}

/**
 * Taxi meter: `flagFen` covers the first `flagDistanceM`; then `distanceStepFen` per started
 * `distanceStepM`; plus `waitingStepFen` per started `waitingStepS` of waiting time. A ride
 * that starts in the night window (local time, [nightFromMin, nightToMin), wrapping past
 * midnight) pays `nightSurchargePercent` of the meter on top, rounded half up to the fen.
 */
export interface TaxiFareRules {
  readonly flagFen: number;
  readonly flagDistanceM: number;
  readonly distanceStepM: number;
  readonly distanceStepFen: number;
  readonly waitingStepS: number;
  readonly waitingStepFen: number;
  /** Minutes after local midnight, 0 ..= 1439. */
  readonly nightFromMin: number;
  readonly nightToMin: number;
  readonly nightSurchargePercent: number;
}

/** One version of the fare tables: in force from effectiveFromMs until the next version's. */
export interface FareTable {
  readonly version: string;
  readonly effectiveFromMs: number;
  /** Metro + bus charges of one account on one local day never exceed this; absent: no cap. */
  readonly dailyCapFen: number | undefined;
  readonly metro: MetroFareRules;
  readonly bus: BusFareRules;
  readonly taxi: TaxiFareRules;
  /** Where it was read from, for messages. */
  readonly source: string;
}
