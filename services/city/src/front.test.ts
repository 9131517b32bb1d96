import { describe, expect, it } from 'vitest';
import { mergeOpenApi, ownerOf } from './front.js';
import { mergeExpositions } from './metrics-text.js';

describe('the city front', () => {
  it('gives the device door and device administration to ingest, everything else to invoice-audit', () => {
    expect(['/v1/taps', '/v1/admin/devices', '/v1/admin/devices/g1/keys'].map(ownerOf)).toEqual(['ingest', 'ingest', 'ingest']);
    expect(['/v1/taps/t1/invoice', '/v1/admin/tokens', '/v1/admin/devicesx', '/v1/keys', '/verify'].map(ownerOf)).toEqual(Array(5).fill('invoice-audit'));
  });

  it('merges two OpenAPI documents: every path, every component', () => {
    const merged = mergeOpenApi(
      { openapi: '3.1.1', info: { title: 'ingest' }, tags: [{ name: 'devices' }, { name: 'health' }], paths: { '/v1/taps': {}, '/healthz': {} }, components: { schemas: { Tap: {} }, securitySchemes: { device: {} } } },
      { openapi: '3.1.1', info: { title: 'invoices' }, tags: [{ name: 'wallets' }, { name: 'health' }], paths: { '/v1/keys': {}, '/healthz': {} }, components: { schemas: { Invoice: {} } } },
    );
    expect(Object.keys(merged.paths as object).sort()).toEqual(['/healthz', '/v1/keys', '/v1/taps']);
    expect(merged.components).toEqual({ schemas: { Tap: {}, Invoice: {} }, securitySchemes: { device: {} } });
    expect((merged.info as { title: string }).title).toBe('Fareledger (one process)');
    expect((merged.tags as { name: string }[]).map((tag) => tag.name)).toEqual(['devices', 'health', 'wallets']);
  });
});

describe('mergeExpositions', () => {
  it('keeps each family together under one HELP and TYPE, the samples of every registry in it', () => {
    const a = '# HELP up Up.\n# TYPE up gauge\nup{service="ingest"} 1\n# HELP h Hist.\n# TYPE h histogram\nh_bucket{le="1",service="ingest"} 2\nh_sum{service="ingest"} 3\nh_count{service="ingest"} 2\n';
    const b = '# HELP up Up.\n# TYPE up gauge\nup{service="batcher"} 1\n# HELP only Only here.\n# TYPE only counter\nonly{service="batcher"} 5\n';
    expect(mergeExpositions([a, b])).toBe([
      '# HELP up Up.', '# TYPE up gauge', 'up{service="ingest"} 1', 'up{service="batcher"} 1',
      '# HELP h Hist.', '# TYPE h histogram', 'h_bucket{le="1",service="ingest"} 2', 'h_sum{service="ingest"} 3', 'h_count{service="ingest"} 2',
      '# HELP only Only here.', '# TYPE only counter', 'only{service="batcher"} 5', '',
    ].join('\n'));
  });
});
