import { parentPort, workerData } from 'node:worker_threads';
import { LedgerReader } from '@fareledger/ledger';
import { type AuditJobKind, type AuditProgress, runRecompute, runVerify } from './audit-work.js';

// One audit job in a worker thread: its own read-only connection to the ledger (one read
// transaction for a verification, so sealing meanwhile does not matter), progress at most
// every 200 ms, then the outcome.

export interface AuditWorkerData {
  readonly entryUrl: string;
  readonly ledgerPath: string;
  readonly kind: AuditJobKind;
  readonly chain: number;
  readonly verifierKeys: readonly string[];
  readonly journeyMsMax: number;
}

export type AuditWorkerMessage =
  | { readonly type: 'progress'; readonly progress: AuditProgress }
  | { readonly type: 'done'; readonly outcome: ReturnType<typeof runVerify> | ReturnType<typeof runRecompute> };

const data = workerData as AuditWorkerData;
const port = parentPort!;
const reader = LedgerReader.open({ path: data.ledgerPath });
let lastSentMs = 0;
const onProgress = (progress: AuditProgress) => {
  const nowMs = Date.now();
  if (nowMs - lastSentMs < 200) return;
  lastSentMs = nowMs;
  port.postMessage({ type: 'progress', progress } satisfies AuditWorkerMessage);
};
try {
  const outcome = data.kind === 'verify'
    ? runVerify(reader, data.chain, data.verifierKeys, onProgress)
    : runRecompute(reader, data.chain, data.journeyMsMax, onProgress);
  port.postMessage({ type: 'done', outcome } satisfies AuditWorkerMessage);
} finally {
  reader.close();
}
