import { assert } from '../assert.js';
import { localMsOfDay, minuteMs } from './local-time.js';
import type { TaxiFareRules } from './rules.js';

export interface TaxiRide {
  /** Metered distance, metres. */
  readonly distanceM: number;
  /** Time billed as waiting, seconds. */
  readonly waitingS: number;
  /** When the ride started (the tap's eventTimeMs − durationS s), UTC ms. */
  readonly startMs: number;
  /** The POS terminal's UTC offset: the night window is local time. */
  readonly utcOffsetMin: number;
}

/** The meter's parts, so an invoice or an auditor can show how the fare was made. */
export interface TaxiFare {
  readonly flagFen: number;
  readonly distanceFen: number;
  readonly waitingFen: number;
  /** flagFen + distanceFen + waitingFen. */
  readonly meterFen: number;
  readonly night: boolean;
  /** meterFen × nightSurchargePercent / 100, rounded half up to the fen; 0 by day. */
  readonly nightSurchargeFen: number;
  /** meterFen + nightSurchargeFen. */
  readonly fareFen: number;
}

/**
 * The metered fare (see TaxiFareRules). Steps are started steps: with szm-2026.1, 2,000 m is
 * the flag fare alone, 2,001 m adds one 500 m step; 60 s of waiting is one minute, 61 s two.
 */
export function taxiFare(rules: TaxiFareRules, ride: TaxiRide): TaxiFare {
  assert(Number.isSafeInteger(ride.distanceM) && ride.distanceM >= 0, 'taxiFare: distanceM must be a whole number of metres');
  assert(Number.isSafeInteger(ride.waitingS) && ride.waitingS >= 0, 'taxiFare: waitingS must be a whole number of seconds');
  const distanceSteps = Math.ceil(Math.max(0, ride.distanceM - rules.flagDistanceM) / rules.distanceStepM);
  const distanceFen = distanceSteps * rules.distanceStepFen;
  const waitingFen = Math.ceil(ride.waitingS / rules.waitingStepS) * rules.waitingStepFen;
  const meterFen = rules.flagFen + distanceFen + waitingFen;
  const night = inNightWindow(rules, ride.startMs, ride.utcOffsetMin);
  // Half up in integers: floor((x·p + 50) / 100). All terms are far below 2^53.
  const nightSurchargeFen = night ? Math.floor((meterFen * rules.nightSurchargePercent + 50) / 100) : 0;
  return { flagFen: rules.flagFen, distanceFen, waitingFen, meterFen, night, nightSurchargeFen, fareFen: meterFen + nightSurchargeFen };
}

/** [nightFromMin, nightToMin) local time, wrapping past midnight when from > to. */
export function inNightWindow(rules: TaxiFareRules, timeMs: number, utcOffsetMin: number): boolean {
  const msOfDay = localMsOfDay(timeMs, utcOffsetMin);
  const fromMs = rules.nightFromMin * minuteMs;
  const toMs = rules.nightToMin * minuteMs;
  return fromMs > toMs ? msOfDay >= fromMs || msOfDay < toMs : msOfDay >= fromMs && msOfDay < toMs;
}
