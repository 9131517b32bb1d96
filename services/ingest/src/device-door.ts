import { authorizationScheme, parseAuthorization, type ReplayGuard, verifySignature } from '@fareledger/device-auth';
import type { Mode } from '@fareledger/domain';
import { problem, type Problem } from '@fareledger/runtime';
import type { Context } from 'hono';
import type { DeviceRegistry } from './device-registry.js';
import { ingestProblemTypes } from './problem-types.js';

/** The device a request was signed by, once its signature and replay window checked out. */
export interface Signer {
  readonly deviceId: string;
  readonly operatorId: string;
  readonly mode: Mode;
}

export interface DeviceDoor {
  readonly registry: DeviceRegistry;
  readonly replayGuard: ReplayGuard;
  readonly nowMs: () => number;
}

const challenge = { 'WWW-Authenticate': authorizationScheme };
const notVerified = 'The signature could not be verified: check the device id, key id, secret and what is signed (docs/security.md).';

/**
 * Checks a request's device signature (docs/security.md) and returns its signer, or throws
 * the problem to answer. Order matters: nothing about the device is revealed before the
 * signature verifies, and a signature enters the replay window only once it is authentic,
 * so forged requests cannot fill the window.
 */
export function authenticateDevice(door: DeviceDoor, c: Context, body: Uint8Array): Signer {
  const parsed = parseAuthorization(c.req.header('authorization'));
  if (!parsed.ok) throw unauthenticated(`The Authorization header is not a valid ${authorizationScheme} header (${parsed.reason}).`);
  const { authorization } = parsed;
  const key = door.registry.lookupKey(authorization.deviceId, authorization.keyId);
  // One answer for an unknown device, an unknown key and a wrong signature, so the door
  // does not tell an attacker which devices and keys exist.
  if (key === undefined) throw unauthenticated(notVerified);
  const request = { method: c.req.method, target: requestTarget(c), body };
  if (!verifySignature(authorization, key.secret, request)) throw unauthenticated(notVerified);
  if (key.device.status !== 'active') {
    throw problem('forbidden', `Device ${authorization.deviceId} is revoked; register the device again under a new id.`);
  }
  const verdict = door.replayGuard.admit(authorization, door.nowMs());
  if (verdict === 'expired') throw unauthenticated('The signature timestamp is outside the replay window: check the device clock, then sign again.');
  if (verdict === 'replayed') throw unauthenticated('This signature was already used: sign every attempt, retries included, afresh.');
  if (verdict === 'full') {
    throw problem(ingestProblemTypes['replay-window-full'], 'Too many recent signatures to remember; retry shortly.', { headers: { 'Retry-After': '1' } });
  }
  return key.device;
}

function unauthenticated(detail: string): Problem {
  return problem('unauthenticated', detail, { headers: challenge });
}

/**
 * The request target exactly as the device sent it: Node's raw `IncomingMessage.url`, since
 * `c.req.url` is normalised (`/v1//taps` would become `/v1/taps`) and the device signed the
 * raw form. Without a socket (app.request() in tests) it is rebuilt from the URL.
 */
function requestTarget(c: Context): string {
  const incoming = (c.env as { incoming?: { url?: string } } | undefined)?.incoming;
  if (incoming?.url !== undefined) return incoming.url;
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}
