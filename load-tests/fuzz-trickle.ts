import { signRequest } from '@fareledger/device-auth';
import { loadSzmNetwork } from '@fareledger/domain/node-data';
import type { DemoCredentials, DemoDevice } from '../services/city/src/credentials.js';
import { CityTraffic, type TrafficDevice } from './city-traffic.js';
import type { SystemUnderTest } from './system.js';

// The real taps `npm run fuzz` puts in before and while it fuzzes: a metro gate and a bus
// validator of the demo credentials post signed batches a few times a second, so the wallet,
// transparency and audit routes have sealed trips, invoices, checkpoints and tiles to return
// (random path values name nothing: the fuzz hooks swap half of them for the ones found here).

const tickMs = 200;
const gateTapsPerTick = 3;
const walletShare = 0.3;
const sealedInvoicesMin = 2;
const sealedWaitMsMax = 120_000;

/** What the trickle made that exists on the ledger, for the hooks (load-tests/fuzz/fareledger_hooks.py). */
export interface KnownData {
  readonly account: string;
  readonly invoices: readonly string[];
  readonly tapIds: readonly string[];
  readonly chains: readonly number[];
  readonly sizes: readonly number[];
  readonly tiles: readonly string[];
}

export interface Trickle {
  /** The wallet account whose journeys are in the trickle, and a wallet token of it made through the admin API. */
  readonly wallet: { readonly account: string; readonly token: string };
  readonly counts: { acked: number; refused: number; failed: number };
  /** Resolves once the wallet has sealed invoices: what exists then. */
  sealed(): Promise<KnownData>;
  stop(): Promise<void>;
}

export async function startTrickle(system: SystemUnderTest, credentials: DemoCredentials, runId: string): Promise<Trickle> {
  const gate = deviceOf(credentials, 'metro');
  const validator = deviceOf(credentials, 'bus');
  const traffic = new CityTraffic({ network: loadSzmNetwork(), passengers: 200, walletAccounts: 1, rideSecondsMin: 1, rideSecondsMax: 3, seed: 20_261_202, runId });
  traffic.walletShare = walletShare;
  const account = traffic.account(0);
  const wallet = { account, token: await issueWalletToken(system, account) };
  const counts = { acked: 0, refused: 0, failed: 0 };
  const walletTapIds: string[] = [];
  let inFlight = Promise.resolve();
  const post = async (device: DemoDevice & TrafficDevice, count: number) => {
    const { taps, walletTaps } = traffic.batch(device, count, Date.now());
    if (taps.length === 0) return;
    const status = await postSigned(system.ingestUrl, device, Buffer.from(JSON.stringify({ taps })));
    if (status === 202) {
      counts.acked += taps.length;
      walletTapIds.push(...walletTaps.map((tap) => tap.tapId));
    } else if (status === 0) counts.failed += taps.length;
    else counts.refused += taps.length;
  };
  const timer = setInterval(() => {
    inFlight = inFlight.then(() => Promise.all([post(gate, gateTapsPerTick), post(validator, 1)])).then(() => {});
  }, tickMs);
  return {
    wallet, counts,
    sealed: () => waitForSealed(system, wallet, walletTapIds),
    stop: async () => {
      clearInterval(timer);
      await inFlight;
    },
  };
}

function deviceOf(credentials: DemoCredentials, mode: 'metro' | 'bus'): DemoDevice & TrafficDevice {
  const device = credentials.devices.find((d) => d.mode === mode);
  if (device === undefined) throw new Error(`the demo credentials have no ${mode} device`);
  return device as DemoDevice & TrafficDevice;
}

async function issueWalletToken(system: SystemUnderTest, account: string): Promise<string> {
  const response = await fetch(`${system.invoicesUrl}/v1/admin/tokens`, {
    method: 'POST', headers: { authorization: `Bearer ${system.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'wallet', account, label: 'npm run fuzz wallet' }),
  });
  if (response.status !== 201) throw new Error(`issuing the fuzz wallet token: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

/** The status of a signed POST /v1/taps, 0 when no answer came. */
async function postSigned(ingestUrl: string, device: DemoDevice, body: Buffer): Promise<number> {
  const target = '/v1/taps';
  const authorization = signRequest({ deviceId: device.deviceId, keyId: device.keyId, secret: Buffer.from(device.secret, 'base64url'), method: 'POST', target, timestampMs: Date.now(), body });
  try {
    const response = await fetch(`${ingestUrl}${target}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

async function waitForSealed(system: SystemUnderTest, wallet: Trickle['wallet'], walletTapIds: readonly string[]): Promise<KnownData> {
  const deadlineMs = Date.now() + sealedWaitMsMax;
  for (;;) {
    const page = await getJson(`${system.invoicesUrl}/v1/accounts/${wallet.account}/invoices`, wallet.token) as { items?: { number: string }[] } | undefined;
    const invoices = page?.items?.map((item) => item.number) ?? [];
    if (invoices.length >= sealedInvoicesMin) return { account: wallet.account, invoices, tapIds: [...walletTapIds], ...(await chainData(system)) };
    if (Date.now() > deadlineMs) throw new Error(`no ${sealedInvoicesMin} sealed invoices of ${wallet.account} within ${sealedWaitMsMax / 1000} s (${invoices.length} so far)`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Chains with entries, tree sizes worth asking proofs of, and tiles that exist (tlog-tiles: partial tiles of the first 256 leaves). */
async function chainData(system: SystemUnderTest): Promise<Pick<KnownData, 'chains' | 'sizes' | 'tiles'>> {
  const { chains } = await getJson(`${system.invoicesUrl}/v1/chains`) as { chains: { chain: number; treeSize: number }[] };
  const sealed = chains.filter((c) => c.treeSize > 0);
  const smallest = Math.min(...sealed.map((c) => c.treeSize));
  const sizes = [...new Set([0, 1, 2, smallest - 1, smallest, ...sealed.map((c) => c.treeSize)])].filter((size) => size >= 0).sort((a, b) => a - b);
  const widths = [...new Set([1, Math.min(smallest, 255)])];
  return { chains: sealed.map((c) => c.chain), sizes, tiles: [...widths.map((width) => `0/000.p/${width}`), ...(smallest >= 256 ? ['0/000'] : [])] };
}

async function getJson(url: string, token?: string): Promise<unknown> {
  const response = await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}
