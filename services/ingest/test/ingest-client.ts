import { signRequest } from '@fareledger/device-auth';
import type { Mode } from '@fareledger/domain';
import { formatEventTime } from '@fareledger/domain';

// A device as the tests see it: registered through the admin API, posting signed taps
// over real HTTP.

export interface Device {
  readonly deviceId: string;
  readonly operatorId: string;
  readonly mode: Mode;
  readonly keyId: string;
  readonly secret: Uint8Array;
}

export async function registerDevice(url: string, adminToken: string, deviceId: string, operatorId = 'szmc', mode: Mode = 'metro'): Promise<Device> {
  const response = await fetch(`${url}/v1/admin/devices`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ deviceId, operatorId, mode }),
  });
  if (response.status !== 201) throw new Error(`register ${deviceId}: ${response.status} ${await response.text()}`);
  const { keyId, secret } = (await response.json()) as { keyId: string; secret: string };
  return { deviceId, operatorId, mode, keyId, secret: Buffer.from(secret, 'base64url') };
}

export interface MetroTapSpec {
  readonly tapId: string;
  readonly account: string;
  readonly kind: 'in' | 'out';
  readonly stationId: string;
}

export function metroTap(device: Device, spec: MetroTapSpec, eventTimeMs = Date.now()): Record<string, unknown> {
  return {
    tapId: spec.tapId, deviceId: device.deviceId, operatorId: device.operatorId, account: spec.account,
    mode: 'metro', kind: spec.kind, stationId: spec.stationId, eventTime: formatEventTime(eventTimeMs, 480),
  };
}

/** POSTs taps (one, or a batch when more than one), signed afresh. */
export async function postTaps(url: string, device: Device, taps: readonly Record<string, unknown>[], signal?: AbortSignal): Promise<Response> {
  const body = Buffer.from(JSON.stringify(taps.length === 1 ? taps[0] : { taps }));
  const authorization = signRequest({
    deviceId: device.deviceId, keyId: device.keyId, secret: device.secret, method: 'POST', target: '/v1/taps', timestampMs: Date.now(), body,
  });
  return fetch(`${url}/v1/taps`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body, ...(signal === undefined ? {} : { signal }) });
}
