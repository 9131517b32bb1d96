import { assert } from '../assert.js';
import type { MetroFareRules } from './rules.js';

/**
 * The metro fare for a distance, by the table's bands (see MetroFareRules). With Shenzhen's
 * rule (szm-2026.1): ≤ 4 km 200; 4 km + 1 m .. 8 km 300; .. 12 km 400; .. 18 km 500;
 * .. 24 km 600; .. 32 km 700; then +100 per started 8 km. Each boundary belongs to the band
 * below it: exactly 4.000 km is 200, 4.001 km is 300.
 */
export function metroFareFen(rules: MetroFareRules, distanceM: number): number {
  if (!(Number.isSafeInteger(distanceM) && distanceM >= 0)) assert(false, `metroFareFen: not a distance: ${distanceM}`);
  let fareFen = rules.baseFen;
  for (const band of rules.bands) {
    if (distanceM <= band.fromM) break;
    const insideM = Math.min(distanceM, band.toM) - band.fromM;
    // Integers below 2^31, so the quotient is exact when it is whole and never rounds up to one.
    fareFen += Math.ceil(insideM / band.stepM) * band.stepFen;
  }
  return fareFen;
}
