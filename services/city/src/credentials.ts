import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Mode } from '@fareledger/domain';
import { loadSzmNetwork } from '@fareledger/domain/node-data';

// The demo credentials the city writes on its first start (docs/city.md): the admin token,
// devices with their signing secrets, wallet tokens of a few demo accounts and an auditor
// token. Every one is made through the services' own admin APIs, so it is exactly what an
// operator's tooling would get. Later starts read the file back: the registries behind it
// persist in the same data directory.

export const credentialsFormat = 'fareledger-demo-credentials/v1';

export interface DemoDevice {
  readonly deviceId: string;
  readonly operatorId: string;
  readonly mode: Mode;
  readonly keyId: string;
  /** base64url, as the admin API gave it: the HMAC key of FL1-HMAC-SHA256. */
  readonly secret: string;
}

export interface DemoCredentials {
  readonly format: typeof credentialsFormat;
  readonly adminToken: string;
  readonly devices: readonly DemoDevice[];
  readonly wallets: readonly { readonly account: string; readonly token: string }[];
  readonly auditor: { readonly token: string };
}

/** Calls an admin route of the city in process: (method, path, body) → Response. */
export type AdminCall = (method: 'POST', path: string, body: unknown) => Promise<Response>;

const busRoutes = ['B101', 'M375', 'N6', 'E11'];
const taxiCount = 4;
const demoAccounts = ['wa_demo_0001', 'wa_demo_0002', 'wa_demo_0003', 'wa_demo_0004', 'wa_demo_0005'];

/** The demo devices: a gate per line of the metro network, a validator per bus route, a few taxi terminals. */
function demoDeviceSpecs(): { deviceId: string; operatorId: string; mode: Mode }[] {
  return [
    ...loadSzmNetwork().lines.map(({ id: line }) => ({ deviceId: `szmc-gate-${line}`, operatorId: 'szmc', mode: 'metro' as const })),
    ...busRoutes.map((route) => ({ deviceId: `szbus-validator-${route}`, operatorId: 'szbus', mode: 'bus' as const })),
    ...Array.from({ length: taxiCount }, (_, i) => ({ deviceId: `sztaxi-pos-${String(i + 1).padStart(2, '0')}`, operatorId: 'sztaxi', mode: 'taxi' as const })),
  ];
}

/** The admin token of this data directory: the credentials file's, or a new one for a first start. */
export function adminTokenOf(path: string): string {
  return existsSync(path) ? readCredentials(path).adminToken : randomBytes(32).toString('base64url');
}

export function readCredentials(path: string): DemoCredentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: not a credentials file (${(error as Error).message}); move it away to start afresh`);
  }
  const credentials = parsed as Partial<DemoCredentials>;
  if (credentials.format !== credentialsFormat || typeof credentials.adminToken !== 'string' || !Array.isArray(credentials.devices)) {
    throw new Error(`${path}: not a ${credentialsFormat} file; move it away to start afresh`);
  }
  return credentials as DemoCredentials;
}

/**
 * The credentials of this data directory: read back when the file exists, else made
 * through the admin APIs and written (mode 0600, through a temporary file so that a crash
 * never leaves half a file). A first start that fails part way leaves no file; the next
 * start then makes new devices (ids get a fresh suffix) and tokens.
 */
export async function ensureCredentials(path: string, adminToken: string, call: AdminCall): Promise<{ credentials: DemoCredentials; created: boolean }> {
  if (existsSync(path)) return { credentials: readCredentials(path), created: false };
  const suffix = randomBytes(3).toString('hex');
  const devices: DemoDevice[] = [];
  for (const spec of demoDeviceSpecs()) {
    const deviceId = `${spec.deviceId}-${suffix}`;
    const issued = await expectCreated(await call('POST', '/v1/admin/devices', { ...spec, deviceId }), `device ${deviceId}`) as { keyId: string; secret: string };
    devices.push({ ...spec, deviceId, keyId: issued.keyId, secret: issued.secret });
  }
  const wallets = [];
  for (const account of demoAccounts) {
    const issued = await expectCreated(await call('POST', '/v1/admin/tokens', { role: 'wallet', account, label: 'demo wallet' }), `wallet ${account}`) as { token: string };
    wallets.push({ account, token: issued.token });
  }
  const auditor = await expectCreated(await call('POST', '/v1/admin/tokens', { role: 'auditor', label: 'demo auditor' }), 'auditor') as { token: string };
  const credentials: DemoCredentials = { format: credentialsFormat, adminToken, devices, wallets, auditor: { token: auditor.token } };
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
  return { credentials, created: true };
}

async function expectCreated(response: Response, what: string): Promise<unknown> {
  if (response.status !== 201) throw new Error(`creating the demo ${what}: ${response.status} ${await response.text()}`);
  return response.json();
}
