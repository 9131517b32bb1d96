import type { LedgerReader } from '@fareledger/ledger';
import type { Metrics } from '@fareledger/runtime';
import { Counter, Gauge } from 'prom-client';
import type { BlockReplicator } from './block-replicator.js';
import type { LedgerIndex } from './ledger-index.js';

// The invoice service's own series, in the service registry beside the HTTP and process ones.

export interface InvoiceMetrics {
  readonly entriesIndexed: Counter;
  /** Invoices built from the ledger (a fetch the cache could not answer). */
  readonly invoicesIssued: Counter<'kind'>;
  readonly adjustments: Counter<'outcome'>;
  readonly auditJobs: Counter<'kind'>;
}

export function createInvoiceMetrics(metrics: Metrics, sources: { reader: LedgerReader; index: LedgerIndex; replicator: () => BlockReplicator | undefined }): InvoiceMetrics {
  const registers = [metrics.registry];
  new Gauge({
    name: 'invoice_index_lag_entries', help: 'Sealed entries not yet in the read copy, all chains', registers,
    collect() {
      this.set(sources.reader.chains().reduce((lag, chain) => lag + chain.treeSize - sources.index.followedSize(chain.chain), 0));
    },
  });
  new Gauge({
    name: 'invoice_replica_blocks_stored', help: 'Blocks a replica stored from fare.blocks since it started (INVOICE_LEDGER_SOURCE=fare.blocks)', registers,
    collect() {
      this.set(sources.replicator()?.blocksStored ?? 0);
    },
  });
  new Gauge({
    name: 'invoice_replica_chains_stopped', help: 'Chains whose replication stopped at a block that did not check (readiness is down)', registers,
    collect() {
      this.set(sources.replicator()?.failures.size ?? 0);
    },
  });
  return {
    entriesIndexed: new Counter({ name: 'invoice_index_entries_total', help: 'Ledger entries indexed into the read copy', registers }),
    invoicesIssued: new Counter({ name: 'invoice_issued_total', help: 'Invoices built from the ledger (fetches the cache did not answer), by kind', labelNames: ['kind'], registers }),
    adjustments: new Counter({ name: 'invoice_adjustments_total', help: 'Adjustment requests of the admin API, by outcome (sealed, pending, refused, unconfirmed)', labelNames: ['outcome'], registers }),
    auditJobs: new Counter({ name: 'invoice_audit_jobs_started_total', help: 'Audit jobs started, by kind (verify, recompute)', labelNames: ['kind'], registers }),
  };
}
