import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { signNote, type SignerKey } from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { type Logger, tsWorkerBootUrl } from '@fareledger/runtime';
import { type AuditJobKind, type AuditOutcome, type AuditProgress, auditResultText } from './audit-work.js';
import type { AuditWorkerData, AuditWorkerMessage } from './audit-worker.js';

// The audit door's jobs: each runs in a worker thread of its own and ends with an outcome
// signed as a C2SP note with the audit key, so the tax bureau can keep and show it. A
// second request for the same work on the same chain while one runs gets the running job.

export interface AuditJob {
  readonly id: string;
  readonly kind: AuditJobKind;
  readonly chain: number;
  status: 'running' | 'done' | 'failed';
  progress: AuditProgress;
  readonly startedAtMs: number;
  finishedAtMs: number | null;
  outcome: AuditOutcome | null;
  /** The outcome as a signed note (audit key), once done. */
  signedResult: string | null;
  error: string | null;
}

export interface AuditJobsOptions {
  readonly ledgerPath: string;
  readonly logName: string;
  readonly auditKey: SignerKey;
  readonly journeyMsMax: number;
  readonly logger: Logger;
  readonly jobsKeptMax?: number;
  readonly onStart?: (kind: AuditJobKind) => void;
}

const workerUrl = new URL('./audit-worker.ts', import.meta.url).href;

export class AuditJobs {
  readonly #jobs = new Map<string, AuditJob>();
  readonly #workers = new Set<Worker>();
  readonly #options: AuditJobsOptions;

  constructor(options: AuditJobsOptions) {
    this.#options = options;
  }

  start(kind: AuditJobKind, chain: number, verifierKeys: readonly string[], of: number): AuditJob {
    const running = [...this.#jobs.values()].find((job) => job.kind === kind && job.chain === chain && job.status === 'running');
    if (running !== undefined) return running;
    const job: AuditJob = {
      id: `job_${randomBytes(8).toString('hex')}`, kind, chain, status: 'running', progress: { entries: 0, of },
      startedAtMs: Date.now(), finishedAtMs: null, outcome: null, signedResult: null, error: null,
    };
    this.#keep(job);
    this.#options.onStart?.(kind);
    const data: AuditWorkerData = { entryUrl: workerUrl, ledgerPath: this.#options.ledgerPath, kind, chain, verifierKeys, journeyMsMax: this.#options.journeyMsMax };
    const worker = new Worker(tsWorkerBootUrl, { workerData: data });
    this.#workers.add(worker);
    worker.on('message', (message: AuditWorkerMessage) => {
      if (message.type === 'progress') job.progress = message.progress;
      else this.#finish(job, message.outcome);
    });
    worker.on('error', (error) => {
      job.status = 'failed';
      job.error = error.message;
      job.finishedAtMs = Date.now();
      this.#options.logger.error({ err: error, job: job.id }, 'audit job failed');
    });
    worker.on('exit', () => this.#workers.delete(worker));
    return job;
  }

  get(id: string): AuditJob | undefined {
    return this.#jobs.get(id);
  }

  /** Stops running jobs (their results are lost; the auditor runs them again). */
  async stop(): Promise<void> {
    await Promise.all([...this.#workers].map((worker) => worker.terminate()));
  }

  #finish(job: AuditJob, outcome: AuditOutcome): void {
    job.finishedAtMs = Date.now();
    job.outcome = outcome;
    job.progress = { entries: job.progress.of, of: job.progress.of };
    job.signedResult = signNote(auditResultText(this.#options.logName, job.chain, outcome, job.finishedAtMs), [this.#options.auditKey], { ed25519: ed25519Node });
    job.status = 'done';
  }

  #keep(job: AuditJob): void {
    const max = this.#options.jobsKeptMax ?? 100;
    for (const [id, old] of this.#jobs) {
      if (this.#jobs.size < max) break;
      if (old.status !== 'running') this.#jobs.delete(id);
    }
    this.#jobs.set(job.id, job);
  }
}
