import szm2026v1 from '../../data/fares/szm-2026.1.json' with { type: 'json' };
import szm2026v2 from '../../data/fares/szm-2026.2.json' with { type: 'json' };
import szmNetwork from '../../data/network/szm.json' with { type: 'json' };
import { FareDataError } from './errors.js';
import { parseFareTable } from './fare-table.js';
import { FareTables } from './fare-tables.js';
import { type MetroNetwork, parseNetwork } from './network.js';

// The data shipped in shared/domain/data, loaded and checked: `@fareledger/domain/node-data`.
// JSON modules (import attributes), not node:fs: the files are part of the package, so they
// load wherever the package does (Node, tsx, vitest, a bundler), and the pure core's rule
// "no node:* but node:crypto" (shared/purity.test.ts) holds here too. A new fare version is
// a new file in data/fares/ plus one import line below; its name must be `<version>.json`.

/** Paths inside the package, for messages and for readers in other languages. */
export const szmNetworkFile = 'data/network/szm.json';
export const szmFareTableFiles = ['data/fares/szm-2026.1.json', 'data/fares/szm-2026.2.json'] as const;

/** file: URLs of the same files, for a tool that reads them itself (the simulator). */
export const szmNetworkUrl = new URL('../../data/network/szm.json', import.meta.url);

const fareTableJson: readonly [string, unknown][] = [
  [szmFareTableFiles[0], szm2026v1],
  [szmFareTableFiles[1], szm2026v2],
];

/** The metro network; throws FareDataError naming the file and field if the data is bad. */
export function loadSzmNetwork(): MetroNetwork {
  return parseNetwork(szmNetwork as unknown, szmNetworkFile);
}

/** Every shipped fare table version; throws FareDataError naming the file and field. */
export function loadSzmFareTables(): FareTables {
  return FareTables.of(fareTableJson.map(([file, json]) => {
    const table = parseFareTable(json, file);
    if (!file.endsWith(`/${table.version}.json`)) {
      throw new FareDataError(file, 'version', `${table.version} must match the file name`);
    }
    return table;
  }));
}
