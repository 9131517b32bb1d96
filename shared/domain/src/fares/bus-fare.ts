import type { BusFareRules } from './rules.js';

/** The route's flat fare, or the table's defaultFen for a route it does not list. */
export function busFareFen(rules: BusFareRules, routeId: string): number {
  return rules.routes.get(routeId) ?? rules.defaultFen;
}
