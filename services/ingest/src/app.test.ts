import { readFileSync } from 'node:fs';
import { decodeEntry } from '@fareledger/codecs';
import { partitionOf } from '@fareledger/tap-log';
import { pack } from 'msgpackr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestProblemTypes } from './problem-types.js';
import { type Harness, json, openHarness, startMs, type TestDevice, wireTap } from './test-harness.js';

// Every answer of POST /v1/taps and the admin API through app.request(), over a real local
// tap log and a real device registry. Each error test also checks that nothing was stored.

let h: Harness;
let gate: TestDevice;
let bus: TestDevice;

beforeEach(async () => {
  h = await openHarness();
  gate = h.register('szm-l1-g042', 'szmc', 'metro');
  bus = h.register('bus-4471', 'szbus', 'bus');
});
afterEach(async () => {
  await h.close();
});

async function expectProblem(response: Response, status: number, type: string): Promise<Record<string, unknown>> {
  const body = (await response.json()) as Record<string, unknown>;
  expect({ status: response.status, type: body.type, contentType: response.headers.get('content-type') }).toEqual({
    status,
    type,
    contentType: 'application/problem+json',
  });
  expect(body.status).toBe(status);
  return body;
}

describe('POST /v1/taps accepts', () => {
  it('one JSON tap: 202 {accepted: 1}, and the log holds its canonical tap entry under the account key', async () => {
    const response = await h.post(gate, json(wireTap(gate, 't1')));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 1 });
    const [record, ...rest] = h.storedRecords();
    expect(rest).toEqual([]);
    expect(record?.key).toBe('wa_7Hq2xK9p');
    expect(record?.partition).toBe(partitionOf('wa_7Hq2xK9p', 4));
    expect(record?.timestampMs).toBe(startMs);
    expect(decodeEntry(record!.value)).toEqual({
      type: 'tap',
      tap: {
        tapId: 't1', deviceId: 'szm-l1-g042', operatorId: 'szmc', account: 'wa_7Hq2xK9p', mode: 'metro', kind: 'in',
        stationId: 'L1-S07', eventTimeMs: 1_772_410_530_000, utcOffsetMin: 480, receivedAtMs: startMs,
      },
    });
  });

  it('a msgpack batch, all taps in one append, in request order', async () => {
    const taps = [1, 2, 3].map((n) => wireTap(bus, `b${n}`, { account: 'wa_same' }));
    const response = await h.post(bus, pack({ taps }), { contentType: 'application/msgpack' });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 3 });
    const stored = h.storedRecords().map((record) => (decodeEntry(record.value) as { tap: { tapId: string } }).tap.tapId);
    expect(stored).toEqual(['b1', 'b2', 'b3']);
    expect(h.tapLog.stats().groupsCommitted).toBe(1);
  });

  it('a retried tap (same tapId, new signature) is accepted again; the batcher drops the duplicate', async () => {
    expect((await h.post(gate, json(wireTap(gate, 't1')))).status).toBe(202);
    h.clockMs += 1;
    expect((await h.post(gate, json(wireTap(gate, 't1')))).status).toBe(202);
    expect(h.storedRecords()).toHaveLength(2);
  });
});

describe('POST /v1/taps refuses', () => {
  it('400 malformed-body for JSON that does not parse', async () => {
    const body = await expectProblem(await h.post(gate, '{"taps": ['), 400, '/problems/malformed-body');
    expect(body.detail).toMatch(/^the body is not valid JSON/);
    expect(h.storedRecords()).toEqual([]);
  });

  it('400 invalid-request with the JSON Pointer of every bad field of a batch, storing none', async () => {
    const taps = [
      wireTap(gate, 'ok-1'),
      wireTap(gate, 'bad-1', { eventTime: '2026-03-02 08:15:30' }),
      { ...wireTap(gate, 'bad-2'), stationID: 'L1-S07' },
      wireTap(gate, 'bad-3', { account: '4111-1111-1111-1111' }),
    ];
    const body = await expectProblem(await h.post(gate, json({ taps })), 400, '/problems/invalid-request');
    const pointers = (body.errors as { pointer: string }[]).map((error) => error.pointer);
    expect(pointers).toEqual(['/taps/1/eventTime', '/taps/2/stationID', '/taps/3/account']);
    expect(h.storedRecords()).toEqual([]);
  });

  it('400 invalid-request for a single tap, pointers at the root', async () => {
    const body = await expectProblem(await h.post(gate, json(wireTap(gate, 't1', { kind: 'single' }))), 400, '/problems/invalid-request');
    expect((body.errors as { pointer: string }[]).map((error) => error.pointer)).toEqual(['/kind']);
  });

  it('400 for an eventTime beyond the clock-skew bounds, naming the field', async () => {
    const future = wireTap(gate, 'f1', { eventTime: '2026-03-02T08:21:30.001+08:00' }); // 6 min ahead
    const old = wireTap(gate, 'o1', { eventTime: '2026-02-28T08:15:29.999+08:00' }); // just over 48 h
    const body = await expectProblem(await h.post(gate, json({ taps: [future, old] })), 400, '/problems/invalid-request');
    expect((body.errors as { pointer: string }[]).map((error) => error.pointer)).toEqual(['/taps/0/eventTime', '/taps/1/eventTime']);
    expect(h.storedRecords()).toEqual([]);
  });

  it('400 for the same tap twice in one batch', async () => {
    const body = await expectProblem(await h.post(gate, json({ taps: [wireTap(gate, 'a'), wireTap(gate, 'a')] })), 400, '/problems/invalid-request');
    expect(body.errors).toEqual([{ pointer: '/taps/1/tapId', detail: 'tap szm-l1-g042/a is already at index 0 of this batch' }]);
  });

  it.each([
    ['no Authorization header', { authorization: null }, 'The Authorization header is not a valid FL1-HMAC-SHA256 header (missing).'],
    ['another scheme', { authorization: 'Bearer abc' }, 'The Authorization header is not a valid FL1-HMAC-SHA256 header (scheme).'],
    ['a signature over other bytes', { signedBody: new TextEncoder().encode('{}') }, 'The signature could not be verified: check the device id, key id, secret and what is signed (docs/security.md).'],
    ['a signature for another target', { signedTarget: '/v1/taps?x=1' }, 'The signature could not be verified: check the device id, key id, secret and what is signed (docs/security.md).'],
    ['a timestamp 31 s old', { timestampMs: startMs - 31_000 }, 'The signature timestamp is outside the replay window: check the device clock, then sign again.'],
  ] as const)('401 unauthenticated for %s', async (_name, options, detail) => {
    const response = await h.post(gate, json(wireTap(gate, 't1')), options);
    const body = await expectProblem(response, 401, '/problems/unauthenticated');
    expect(response.headers.get('www-authenticate')).toBe('FL1-HMAC-SHA256');
    expect(body.detail).toBe(detail);
    expect(h.storedRecords()).toEqual([]);
  });

  it('401 for an unknown device, and for a replayed request', async () => {
    const stranger = { ...gate, deviceId: 'not-registered' };
    expect((await expectProblem(await h.post(stranger, json(wireTap(stranger, 't1'))), 401, '/problems/unauthenticated')).detail).toBe('The signature could not be verified: check the device id, key id, secret and what is signed (docs/security.md).');
    const authorization = (await import('@fareledger/device-auth')).signRequest({
      deviceId: gate.deviceId, keyId: gate.keyId, secret: gate.secret, method: 'POST', target: '/v1/taps', timestampMs: startMs,
      body: new TextEncoder().encode(json(wireTap(gate, 't1'))),
    });
    expect((await h.post(gate, json(wireTap(gate, 't1')), { authorization })).status).toBe(202);
    const replay = await expectProblem(await h.post(gate, json(wireTap(gate, 't1')), { authorization }), 401, '/problems/unauthenticated');
    expect(replay.detail).toBe('This signature was already used: sign every attempt, retries included, afresh.');
    expect(h.storedRecords()).toHaveLength(1);
  });

  it('403 forbidden for a revoked device', async () => {
    h.registry.revoke(gate.deviceId);
    await expectProblem(await h.post(gate, json(wireTap(gate, 't1'))), 403, '/problems/forbidden');
    expect(h.storedRecords()).toEqual([]);
  });

  it('403 forbidden for taps in another device, operator or mode than the signer', async () => {
    const taps = [
      wireTap(gate, 'x1', { deviceId: 'szm-l1-g043' }),
      wireTap(gate, 'x2', { operatorId: 'other-op' }),
      wireTap(bus, 'x3', { deviceId: gate.deviceId, operatorId: gate.operatorId }),
    ];
    const body = await expectProblem(await h.post(gate, json({ taps })), 403, '/problems/forbidden');
    expect((body.errors as { pointer: string }[]).map((error) => error.pointer)).toEqual(['/taps/0/deviceId', '/taps/1/operatorId', '/taps/2/mode']);
    expect(h.storedRecords()).toEqual([]);
  });

  it('413 payload-too-large for a body over bodyBytesMax', async () => {
    const body = await expectProblem(await h.post(gate, json({ taps: [wireTap(gate, 't1', { tapId: 'x'.repeat(5000) })] })), 413, '/problems/payload-too-large');
    expect(body.bodyBytesMax).toBe(4096);
    expect(h.storedRecords()).toEqual([]);
  });

  it('413 batch-too-large for more than batchTapsMax taps', async () => {
    const taps = [1, 2, 3, 4, 5, 6].map((n) => wireTap(gate, `t${n}`));
    const body = await expectProblem(await h.post(gate, json({ taps })), 413, '/problems/batch-too-large');
    expect(body.batchTapsMax).toBe(5);
    expect(h.storedRecords()).toEqual([]);
  });

  it('415 unsupported-media-type, naming what is accepted', async () => {
    const response = await h.post(gate, json(wireTap(gate, 't1')), { contentType: 'text/plain' });
    await expectProblem(response, 415, '/problems/unsupported-media-type');
    expect(response.headers.get('accept')).toBe('application/json, application/msgpack, application/vnd.msgpack, application/x-msgpack');
  });

  it('405 method-not-allowed for GET, with Allow', async () => {
    const response = await h.app.request('http://ingest.test/v1/taps');
    await expectProblem(response, 405, '/problems/method-not-allowed');
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('404 not-found for an unknown path', async () => {
    await expectProblem(await h.app.request('http://ingest.test/v1/tapz'), 404, '/problems/not-found');
  });
});

describe('POST /v1/taps when the log cannot take the taps', () => {
  // A real Kafka tap log whose broker is unreachable (nothing listens on port 1): sends fail
  // after the append timeout, which is what a broker outage looks like to ingest.
  let down: Harness;
  let device: TestDevice;
  beforeEach(async () => {
    down = await openHarness({
      config: { batchTapsMax: 2, appendTimeoutMs: 400 },
      tapLog: () => ({
        kind: 'kafka', brokers: ['127.0.0.1:1'], topic: 'fare.taps', clientId: 'ingest-test', partitions: 4, verifyOnOpen: false,
        appendTimeoutMs: 400, inFlightRecordsMax: 2, groupRecordsMax: 2, connectionTimeoutMs: 100,
      }),
    });
    device = down.register('szm-l1-g042', 'szmc', 'metro');
  });
  afterEach(async () => {
    await down.close();
  });

  it('503 tap-log-unavailable with Retry-After, never 202', async () => {
    const response = await down.post(device, json(wireTap(device, 't1')));
    await expectProblem(response, 503, '/problems/tap-log-unavailable');
    expect(response.headers.get('retry-after')).toBe('1');
  });

  it('429 tap-log-overloaded while the in-flight bound is full', async () => {
    const first = down.post(device, json({ taps: [wireTap(device, 'a1'), wireTap(device, 'a2')] }));
    down.clockMs += 1;
    const second = await down.post(device, json(wireTap(device, 'b1')));
    const body = await expectProblem(second, 429, '/problems/tap-log-overloaded');
    expect(second.headers.get('retry-after')).toBe('1');
    expect(body.detail).toBe('Too many taps are waiting to become durable; nothing of this request was accepted.');
    await expectProblem(await first, 503, '/problems/tap-log-unavailable');
  });
});

describe('admin API', () => {
  it('401 without the admin token or with a wrong one', async () => {
    await expectProblem(await h.app.request('http://ingest.test/v1/admin/devices'), 401, '/problems/unauthenticated');
    await expectProblem(await h.admin('GET', '/devices', undefined, 'wrong-token'), 401, '/problems/unauthenticated');
  });

  it('registers a device whose key then signs taps; rotation and retirement take effect at once', async () => {
    const created = await h.admin('POST', '/devices', { deviceId: 'tx-88', operatorId: 'sztaxi', mode: 'taxi', label: 'Cab 88' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v1/admin/devices/tx-88');
    const registration = (await created.json()) as { keyId: string; secret: string; device: { status: string } };
    expect([registration.keyId, registration.device.status]).toEqual(['k1', 'active']);
    const taxi: TestDevice = { deviceId: 'tx-88', operatorId: 'sztaxi', mode: 'taxi', keyId: 'k1', secret: Buffer.from(registration.secret, 'base64url') };
    expect((await h.post(taxi, json(wireTap(taxi, 'r1')))).status).toBe(202);

    const rotated = (await (await h.admin('POST', '/devices/tx-88/keys')).json()) as { keyId: string; secret: string };
    expect(rotated.keyId).toBe('k2');
    expect((await h.admin('DELETE', '/devices/tx-88/keys/k1')).status).toBe(200);
    h.clockMs += 1;
    await expectProblem(await h.post(taxi, json(wireTap(taxi, 'r2'))), 401, '/problems/unauthenticated');
    const taxiK2 = { ...taxi, keyId: 'k2', secret: Buffer.from(rotated.secret, 'base64url') };
    expect((await h.post(taxiK2, json(wireTap(taxiK2, 'r2')))).status).toBe(202);
  });

  it('409 device-conflict for a second registration of an id; 400 for a bad body; 404 for an unknown device', async () => {
    await expectProblem(await h.admin('POST', '/devices', { deviceId: gate.deviceId, operatorId: 'szmc', mode: 'metro' }), 409, '/problems/device-conflict');
    const bad = await expectProblem(await h.admin('POST', '/devices', { deviceId: 'a/b', operatorId: 'szmc', mode: 'ferry' }), 400, '/problems/invalid-request');
    expect((bad.errors as { pointer: string }[]).map((error) => error.pointer)).toEqual(['/deviceId', '/mode']);
    await expectProblem(await h.admin('GET', '/devices/nobody'), 404, '/problems/not-found');
  });

  it('lists devices without secrets, and revokes', async () => {
    const page = (await (await h.admin('GET', '/devices?limit=1')).json()) as { devices: { deviceId: string }[]; next: string | null };
    expect(page.devices.map((device) => device.deviceId)).toEqual(['bus-4471']);
    expect(page.next).toBe('bus-4471');
    expect(JSON.stringify(page)).not.toMatch(/secret/);
    const revoked = (await (await h.admin('POST', `/devices/${gate.deviceId}/revoke`)).json()) as { status: string };
    expect(revoked.status).toBe('revoked');
    await expectProblem(await h.post(gate, json(wireTap(gate, 't1'))), 403, '/problems/forbidden');
  });
});

describe('operations', () => {
  it('/healthz and /readyz', async () => {
    expect(await (await h.app.request('http://ingest.test/healthz')).json()).toEqual({ status: 'ok' });
    expect((await h.app.request('http://ingest.test/readyz')).status).toBe(200);
  });

  it('/metrics counts accepted taps by mode and requests by status', async () => {
    await h.post(gate, json(wireTap(gate, 't1')));
    await h.post(gate, json(wireTap(gate, 't2')), { authorization: null });
    const text = await (await h.app.request('http://ingest.test/metrics')).text();
    expect(text).toContain('ingest_taps_accepted_total{mode="metro",service="ingest"} 1');
    expect(text).toContain('http_requests_total{method="POST",route="/v1/taps",status="202",service="ingest"} 1');
    expect(text).toContain('http_requests_total{method="POST",route="/v1/taps",status="401",service="ingest"} 1');
    expect(text).toMatch(/ingest_append_duration_seconds_count\{service="ingest"\} 1/);
  });

  it('/openapi.json documents every field of a tap and every problem type of POST /v1/taps', async () => {
    const doc = (await (await h.app.request('http://ingest.test/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.1');
    const responses = doc.paths['/v1/taps']?.post?.responses ?? {};
    expect(Object.keys(responses).sort()).toEqual(['202', '400', '401', '403', '413', '415', '429', '500', '503']);
    expect(responses['503']?.description).toContain('/problems/tap-log-unavailable');
    const text = JSON.stringify(doc.components.schemas.TapInput);
    for (const field of ['tapId', 'deviceId', 'operatorId', 'account', 'mode', 'kind', 'stationId', 'routeId', 'vehicleId', 'eventTime', 'distanceM', 'durationS', 'waitingS']) {
      expect(text).toContain(`"${field}":{`);
    }
  });

  it('/docs is the Swagger UI page, served without a CDN; /problems/<slug> documents each type', async () => {
    const page = await (await h.app.request('http://ingest.test/docs')).text();
    expect(page).toContain('<script src="/docs/swagger-ui-bundle.js"></script>');
    expect((await h.app.request('http://ingest.test/docs/swagger-ui-bundle.js')).status).toBe(200);
    const problemPage = await h.app.request('http://ingest.test/problems/batch-too-large', { headers: { accept: 'application/json' } });
    expect(((await problemPage.json()) as { status: number }).status).toBe(413);
  });

  it('docs/problems.md lists every ingest problem type with its status', () => {
    const doc = readFileSync(new URL('../../../docs/problems.md', import.meta.url), 'utf8');
    for (const type of Object.values(ingestProblemTypes)) expect(doc).toContain(`| \`/problems/${type.slug}\` | ${type.status} |`);
  });
});
