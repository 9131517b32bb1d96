import path from 'node:path';
import { type ConfigOf, configHelp, envBool, envInt, envPath, envString, loadConfig, logLevelSetting } from '@fareledger/runtime';

// The one-process city: ingest, batcher and invoice-audit on the embedded tap log, behind
// one port. Its own settings are few; each service's own variables (BATCHER_SEAL_AGE_MS_MAX,
// INGEST_BATCH_TAPS_MAX, ...) still apply, except the ones the city sets: where the files
// live, the admin token, and the embedded mode itself (serviceEnv below).

const second = 1000;
const minute = 60 * second;

export const cityConfigSpec = {
  host: { env: 'HOST', default: '127.0.0.1', schema: envString(), description: 'Address the one HTTP port listens on (0.0.0.0 to reach it from other machines).' },
  port: { env: 'PORT', default: '8080', schema: envInt({ min: 0, max: 65_535 }), description: 'The one TCP port: devices, wallets, auditors, the home page; 0 picks a free one (printed).' },
  dataDir: { env: 'DATA_DIR', default: 'data', schema: envPath(), description: 'Directory of every file: tap log, ledger, keys, registries, demo credentials. A restart with the same directory continues the same chains.' },
  logLevel: logLevelSetting,
  simulate: { env: 'CITY_SIMULATE', default: 'true', schema: envBool(), description: 'Run the city simulator gently against the port (`--no-sim` sets false).' },
  simulateRate: { env: 'CITY_SIMULATE_RATE', default: '20', schema: envInt({ min: 1, max: 100_000 }), description: 'Taps per second the built-in simulator posts.' },
  partitions: { env: 'CITY_PARTITIONS', default: '4', schema: envInt({ min: 1, max: 64 }), description: 'Chains of the embedded tap log (fixed when the log is created).' },
  shutdownMsMax: { env: 'CITY_SHUTDOWN_MS_MAX', default: '20000', schema: envInt({ min: 1000, max: 10 * minute }), description: 'On SIGINT/SIGTERM: drain requests, seal what is pending, close, within this, else exit 1.' },
} as const;

export type CityConfig = ConfigOf<typeof cityConfigSpec>;

export const cityHelp = configHelp({
  command: 'npm start [-- --no-sim]   (or: tsx services/city/src/main.ts)',
  summary: 'The whole system in one process on the embedded tap log (no Kafka): ingest, batcher and invoice-audit behind one port, with demo credentials and a live home page.',
  spec: cityConfigSpec,
});

export function loadCityConfig(env: Readonly<Record<string, string | undefined>> = process.env): CityConfig {
  return loadConfig(cityConfigSpec, env, { prefixes: ['CITY_'] });
}

/** Where the city keeps its files, all under the data directory. */
export function cityFiles(dataDir: string) {
  const file = (name: string) => path.join(dataDir, name);
  return {
    tapLog: file('taps.db'),
    ledger: file('ledger.db'),
    signingKey: file('signing.key'),
    devices: file('devices.db'),
    invoiceIndex: file('invoice-index.db'),
    access: file('access.db'),
    adjustments: file('adjustments.db'),
    auditKey: file('audit.key'),
    credentials: file('credentials.json'),
  };
}

/**
 * The environment each service's own config loader reads: the operator's, with the city's
 * files, admin token and embedded mode laid over it (those are not the operator's to
 * change here: one process has one data directory and one admin).
 */
export function serviceEnv(config: CityConfig, adminToken: string, env: Readonly<Record<string, string | undefined>> = process.env): Record<string, string | undefined> {
  const files = cityFiles(config.dataDir);
  return {
    ...env,
    LOG_LEVEL: config.logLevel,
    TAP_LOG: 'local',
    TAP_LOG_PATH: files.tapLog,
    TAP_LOG_PARTITIONS: String(config.partitions),
    LEDGER_PATH: files.ledger,
    LEDGER_SIGNING_KEY_PATH: files.signingKey,
    BATCHER_DEV_CREATE_KEY: 'true',
    INGEST_ADMIN_TOKEN: adminToken,
    INGEST_DEVICES_PATH: files.devices,
    INVOICE_ADMIN_TOKEN: adminToken,
    INVOICE_INDEX_PATH: files.invoiceIndex,
    INVOICE_ACCESS_PATH: files.access,
    INVOICE_ADJUSTMENTS_PATH: files.adjustments,
    INVOICE_AUDIT_KEY_PATH: files.auditKey,
    INVOICE_DEV_CREATE_KEY: 'true',
  };
}
