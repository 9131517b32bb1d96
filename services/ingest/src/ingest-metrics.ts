import type { Metrics } from '@fareledger/runtime';
import type { TapLog } from '@fareledger/tap-log';
import { Counter, Gauge, Histogram } from 'prom-client';

export interface IngestMetrics {
  readonly tapsAccepted: Counter<'mode'>;
  readonly tapsRejected: Counter<'reason'>;
  readonly appendDuration: Histogram;
  readonly groupTaps: Histogram;
  readonly groupCommitDuration: Histogram;
}

// From 0.25 ms (an embedded-log commit with a warm page cache) to the 5 s append timeout.
const appendBucketsSeconds = [0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Ingest's own series, in the service registry next to the HTTP and process ones. */
export function createIngestMetrics(metrics: Metrics, tapLog: () => TapLog | undefined): IngestMetrics {
  const registers = [metrics.registry];
  new Gauge({
    name: 'ingest_taps_in_flight',
    help: 'Taps queued or being appended, not yet durable (bounded by INGEST_IN_FLIGHT_TAPS_MAX)',
    registers,
    collect() {
      const stats = tapLog()?.stats();
      this.set(stats === undefined ? 0 : stats.recordsQueued + stats.recordsInFlight);
    },
  });
  return {
    tapsAccepted: new Counter({ name: 'ingest_taps_accepted_total', help: 'Taps durable in the tap log and answered 202, by mode', labelNames: ['mode'], registers }),
    tapsRejected: new Counter({ name: 'ingest_requests_rejected_total', help: 'Tap requests refused, by problem type', labelNames: ['reason'], registers }),
    appendDuration: new Histogram({ name: 'ingest_append_duration_seconds', help: 'From a request handing its taps to the log to the log confirming them durable', buckets: appendBucketsSeconds, registers }),
    groupTaps: new Histogram({ name: 'ingest_group_commit_taps', help: 'Taps per group commit (one log append)', buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000], registers }),
    groupCommitDuration: new Histogram({ name: 'ingest_group_commit_duration_seconds', help: 'Duration of one log append (Kafka produce or SQLite commit)', buckets: appendBucketsSeconds, registers }),
  };
}
