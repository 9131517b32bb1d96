import { signRequest } from '@fareledger/device-auth';

// A device's POST as every load script sends it: the body signed afresh (fresh timestamp,
// fresh signature; the replay window refuses repeats), set on autocannon's request.

export interface SigningDevice {
  readonly deviceId: string;
  readonly keyId: string;
  readonly secret: Uint8Array;
}

export function signedPost<R extends { headers?: Record<string, string>; body?: Buffer | string }>(request: R, device: SigningDevice, target: string, body: Buffer): R {
  const authorization = signRequest({ deviceId: device.deviceId, keyId: device.keyId, secret: device.secret, method: 'POST', target, timestampMs: Date.now(), body });
  request.headers = { 'content-type': 'application/json', authorization };
  request.body = body;
  return request;
}
