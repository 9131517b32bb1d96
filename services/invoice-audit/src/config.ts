import { tapLogSettings } from '@fareledger/tap-log/config';
import { ConfigError, type ConfigOf, configHelp, envBool, envEnum, envInt, envPath, envString, loadConfig, logLevelSetting } from '@fareledger/runtime';
import { parseVerifierKey, type VerifierKey } from '@fareledger/checkpoint';

const second = 1000;
const minute = 60 * second;

/** Every setting of the invoice and audit service, read once from the environment at start-up. */
export const invoiceAuditConfigSpec = {
  host: { env: 'INVOICE_HOST', default: '127.0.0.1', schema: envString(), description: 'Address to listen on; 0.0.0.0 for every interface.' },
  port: { env: 'INVOICE_PORT', default: '8083', schema: envInt({ min: 0, max: 65_535 }), description: 'TCP port; 0 picks a free one (logged).' },
  logLevel: logLevelSetting,

  ledgerSource: { env: 'INVOICE_LEDGER_SOURCE', default: 'file', schema: envEnum(['file', 'fare.blocks']), description: '`file`: read the ledger file the batcher writes (LEDGER_PATH, on this machine). `fare.blocks`: build a replica ledger at LEDGER_PATH from the KAFKA_TOPIC_BLOCKS topic, every block checked against INVOICE_TRUSTED_KEYS (another machine).' },
  ledgerPath: { env: 'LEDGER_PATH', default: 'data/ledger.db', schema: envPath(), description: 'SQLite file of the ledger: the batcher\'s (read-only here), or this replica\'s (INVOICE_LEDGER_SOURCE=fare.blocks).' },
  logName: { env: 'LEDGER_LOG_NAME', default: 'fareledger.example/szm', schema: envString({ pattern: /^[\x21-\x7e]{1,100}$/ }), description: 'The log a replica follows (checkpoint origins `<name>/chain/<n>`); as the batcher\'s LEDGER_LOG_NAME.' },
  trustedKeys: { env: 'INVOICE_TRUSTED_KEYS', default: '', schema: envString({ lengthMin: 0, lengthMax: 100_000 }), description: 'Note verifier keys a replica trusts for checkpoints, separated by commas or newlines (INVOICE_LEDGER_SOURCE=fare.blocks: required).' },
  kafkaTopicBlocks: { env: 'KAFKA_TOPIC_BLOCKS', default: 'fare.blocks', schema: envString({ pattern: /^[A-Za-z0-9._-]{1,249}$/ }), description: 'Topic of sealed blocks a replica reads (INVOICE_LEDGER_SOURCE=fare.blocks).' },
  indexPath: { env: 'INVOICE_INDEX_PATH', default: 'data/invoice-index.db', schema: envPath(), description: "SQLite file of this service's read copy (invoices by account, taps, totals). Derived from the ledger: delete it to rebuild." },
  accessPath: { env: 'INVOICE_ACCESS_PATH', default: 'data/access.db', schema: envPath(), description: 'SQLite file of wallet and auditor tokens (their SHA-256 only; keep it 0600).' },
  operatorsPath: { env: 'INVOICE_OPERATORS_PATH', default: '', schema: envString({ lengthMin: 0 }), description: 'JSON operator registry (sellers, taxpayer ids, VAT rates); empty for the shipped shared/invoice/data/operators.json.' },
  adjustmentsPath: { env: 'INVOICE_ADJUSTMENTS_PATH', default: 'data/adjustments.db', schema: envPath(), description: 'SQLite file of the adjustments (refunds, corrections) this service sent to the tap log: their exact bytes, so a retry sends the same ones.' },
  ...tapLogSettings,
  kafkaClientId: { env: 'INVOICE_KAFKA_CLIENT_ID', default: 'fareledger-invoice-audit', schema: envString({ pattern: /^[A-Za-z0-9._-]{1,128}$/ }), description: 'Kafka client id of the adjustments producer (TAP_LOG=kafka).' },
  adminToken: { env: 'INVOICE_ADMIN_TOKEN', schema: envString({ lengthMin: 32, lengthMax: 256, pattern: /^[\x21-\x7e]+$/ }), secret: true, description: 'Bearer token of the admin API (wallet and auditor tokens). At least 32 printable characters; generate with `openssl rand -base64 32`.' },

  auditKeyPath: { env: 'INVOICE_AUDIT_KEY_PATH', default: 'data/audit.key', schema: envPath(), description: 'Ed25519 note signing key (PRIVATE+KEY+... format, mode 0600) that signs audit results. Must exist unless INVOICE_DEV_CREATE_KEY=true.' },
  devCreateKey: { env: 'INVOICE_DEV_CREATE_KEY', default: 'false', schema: envBool(), description: 'Embedded dev mode only: create the audit key on first start if missing (logged loudly). Never in production.' },
  auditKeyName: { env: 'INVOICE_AUDIT_KEY_NAME', default: 'fareledger.example/szm-audit-dev', schema: envString({ pattern: /^[\x21-\x2a\x2c-\x7e]{1,100}$/ }), description: 'Name of a key created by INVOICE_DEV_CREATE_KEY (no `+`).' },
  journeyMsMax: { env: 'BATCHER_JOURNEY_MS_MAX', default: String(4 * 60 * minute), schema: envInt({ min: minute, max: 24 * 60 * minute }), description: "The batcher's setting, read here for the audit's fare recomputation: it must be the batcher's." },

  indexNice: { env: 'INVOICE_INDEX_NICE', default: '10', schema: envInt({ min: 0, max: 19 }), description: 'Nice value of the index worker thread (Linux): under a burst the read copy yields the CPU to taps being acknowledged and sealed, and catches up after; 0 to compete equally.' },
  followIntervalMs: { env: 'INVOICE_FOLLOW_INTERVAL_MS', default: '20', schema: envInt({ min: 1, max: 10 * second }), description: 'How often the read copy looks for newly sealed blocks.' },
  followBatchEntriesMax: { env: 'INVOICE_FOLLOW_BATCH_ENTRIES_MAX', default: '65536', schema: envInt({ min: 1, max: 100_000 }), description: 'Most entries indexed in one transaction, by the index worker thread. Under load a batch is what was sealed since the last pass, so larger ones amortise the commits of random-key inserts.' },
  publicUrl: { env: 'INVOICE_PUBLIC_URL', default: '', schema: envString({ lengthMin: 0, lengthMax: 500, pattern: /^(|https?:\/\/[^\s/?#]+)$/ }), description: "Origin of this service as wallets reach it (https://invoices.example), for the QR code of a printed invoice; empty: the request's own origin." },
  waitMsMax: { env: 'INVOICE_WAIT_MS_MAX', default: '30000', schema: envInt({ min: 0, max: 5 * minute }), description: 'Longest `waitMs` a wallet may ask for on /v1/taps/{tapId}/invoice.' },
  invoiceCacheEntriesMax: { env: 'INVOICE_CACHE_ENTRIES_MAX', default: '20000', schema: envInt({ min: 0, max: 10_000_000 }), description: 'Issued invoices kept in memory (an invoice never changes once issued: its proofs are against the checkpoint that sealed it).' },
  accessRefreshMs: { env: 'INVOICE_ACCESS_REFRESH_MS', default: '1000', schema: envInt({ min: 10, max: minute }), description: 'How soon a token revoked through another process sharing the access file stops working here.' },
  pageSizeMax: { env: 'INVOICE_PAGE_SIZE_MAX', default: '200', schema: envInt({ min: 1, max: 1000 }), description: 'Most items in one page of a listing.' },

  headersTimeoutMs: { env: 'INVOICE_HEADERS_TIMEOUT_MS', default: '10000', schema: envInt({ min: 100, max: 5 * minute }), description: 'A client must send its request headers within this time.' },
  requestTimeoutMs: { env: 'INVOICE_REQUEST_TIMEOUT_MS', default: '60000', schema: envInt({ min: 100, max: 10 * minute }), description: 'A client must send its whole request within this time; long polls (waitMs) are bounded by it too.' },
  keepAliveTimeoutMs: { env: 'INVOICE_KEEP_ALIVE_TIMEOUT_MS', default: '65000', schema: envInt({ min: 1000, max: 10 * minute }), description: 'Idle keep-alive connections are closed after this.' },
  shutdownMsMax: { env: 'INVOICE_SHUTDOWN_MS_MAX', default: '15000', schema: envInt({ min: 1000, max: 10 * minute }), description: 'On SIGINT/SIGTERM: finish requests and close within this, else exit 1.' },
} as const;

export type InvoiceAuditConfig = ConfigOf<typeof invoiceAuditConfigSpec>;

export const invoiceAuditHelp = configHelp({
  command: 'npm run invoice-audit   (or: tsx services/invoice-audit/src/main.ts)',
  summary:
    'E-invoices with proofs for wallets, the public transparency door (keys, checkpoints, proofs) and the audit door for the tax bureau, read from the ledger.',
  spec: invoiceAuditConfigSpec,
});

/** Reads and checks the config; throws ConfigError naming every bad variable. */
export function loadInvoiceAuditConfig(env: Readonly<Record<string, string | undefined>> = process.env): InvoiceAuditConfig {
  const config = loadConfig(invoiceAuditConfigSpec, env, { prefixes: ['INVOICE_'] });
  if (config.ledgerSource === 'fare.blocks') trustedVerifierKeys(config);
  return config;
}

/** INVOICE_TRUSTED_KEYS parsed; ConfigError naming the variable when empty or malformed. */
export function trustedVerifierKeys(config: Pick<InvoiceAuditConfig, 'trustedKeys'>): VerifierKey[] {
  const keys = config.trustedKeys.split(/[,\n]/).map((key) => key.trim()).filter((key) => key !== '');
  const issue = (reason: string) => new ConfigError([{ env: 'INVOICE_TRUSTED_KEYS', value: config.trustedKeys.slice(0, 80), secret: false, reason }]);
  if (keys.length === 0) throw issue('a replica (INVOICE_LEDGER_SOURCE=fare.blocks) needs the verifier keys it trusts, as /v1/keys of the source lists them');
  return keys.map((key) => {
    try {
      return parseVerifierKey(key);
    } catch (error) {
      throw issue(`${JSON.stringify(key.slice(0, 60))} is not a note verifier key: ${(error as Error).message}`);
    }
  });
}
