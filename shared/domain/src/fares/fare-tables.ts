import { FareDataError } from './errors.js';
import type { FareTable } from './rules.js';

/**
 * Every version of the fare tables. The table for a trip is the one with the latest
 * effectiveFrom ≤ the trip's start (the tap-in for metro, the ride's start for taxi), so a
 * journey that spans a fare change is priced by the table in force when it began.
 */
export class FareTables {
  /** Oldest first. */
  readonly tables: readonly FareTable[];

  private constructor(tables: readonly FareTable[]) {
    this.tables = tables;
  }

  /** Refuses an empty set, two tables with one version, and two with one effectiveFrom. */
  static of(tables: readonly FareTable[]): FareTables {
    if (tables.length === 0) throw new FareDataError('fare tables', '', 'at least one table is needed');
    const sorted = [...tables].sort((a, b) => a.effectiveFromMs - b.effectiveFromMs);
    const versions = new Map<string, string>();
    sorted.forEach((table, index) => {
      const sameVersion = versions.get(table.version);
      if (sameVersion !== undefined) {
        throw new FareDataError(table.source, 'version', `${table.version} is also the version of ${sameVersion}`);
      }
      versions.set(table.version, table.source);
      const previous = sorted[index - 1];
      if (previous !== undefined && previous.effectiveFromMs === table.effectiveFromMs) {
        throw new FareDataError(table.source, 'effectiveFrom', `is also the effectiveFrom of ${previous.source}`);
      }
    });
    return new FareTables(Object.freeze(sorted));
  }

  /** The table in force at `startMs`, or undefined before the earliest one. */
  tableAt(startMs: number): FareTable | undefined {
    // A handful of versions, newest first: a linear scan beats a binary search here.
    for (let index = this.tables.length - 1; index >= 0; index -= 1) {
      const table = this.tables[index] as FareTable;
      if (table.effectiveFromMs <= startMs) return table;
    }
    return undefined;
  }

  /** The table named `version`, for recomputing a trip's fare; undefined if unknown. */
  byVersion(version: string): FareTable | undefined {
    return this.tables.find((table) => table.version === version);
  }
}
