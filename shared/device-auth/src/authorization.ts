import { aBytes, aSafeUint, assert } from '@fareledger/domain';
import {
  authorizationLengthMax,
  authorizationScheme,
  idLengthMax,
  signatureBytes,
  signatureTextLength,
  timestampDigitsMax,
} from './limits.js';

// The header, byte for byte (docs/security.md):
//
//   FL1-HMAC-SHA256 Credential=<deviceId>/<keyId>, Timestamp=<unix ms>, Signature=<base64url>
//
// The grammar is strict on purpose: one space after the scheme, `, ` between the three
// parameters in this order, no leading zeros, 43 base64url characters with no padding and
// zero trailing bits. Every device signs with code we specify, so there is no legacy
// variant to be lenient with, and one spelling per header keeps logs and tests simple.

/** Identifiers share the domain's alphabet; no `/`, so `deviceId/keyId` splits one way only. */
const idPattern = /^[A-Za-z0-9._:-]+$/;
const timestampPattern = new RegExp(`^(?:0|[1-9][0-9]{0,${timestampDigitsMax - 1}})$`);
const signaturePattern = new RegExp(`^[A-Za-z0-9_-]{${signatureTextLength}}$`);

const credentialPrefix = 'Credential=';
const timestampPrefix = 'Timestamp=';
const signaturePrefix = 'Signature=';

/** A well-formed Authorization header. Well-formed is not authentic: verifySignature decides that. */
export interface DeviceAuthorization {
  readonly deviceId: string;
  readonly keyId: string;
  /** When the device signed, by its clock: ms since the Unix epoch. */
  readonly timestampMs: number;
  /** The 32 signature bytes. */
  readonly signature: Uint8Array;
}

/** Why a header was rejected. Stable strings for logs and metrics; all of them are a 401. */
export type AuthorizationReason =
  | 'missing' // no header, or an empty one
  | 'too-long' // longer than authorizationLengthMax
  | 'scheme' // another auth-scheme (Bearer, Basic, a typo)
  | 'syntax' // not `Credential=…, Timestamp=…, Signature=…` exactly
  | 'credential' // not `<deviceId>/<keyId>` with 1..64 characters of [A-Za-z0-9._:-] each
  | 'timestamp' // not a decimal integer without leading zeros, or past 2^53 − 1
  | 'signature'; // not 43 base64url characters encoding 32 bytes

export const authorizationReasons: readonly AuthorizationReason[] = [
  'missing', 'too-long', 'scheme', 'syntax', 'credential', 'timestamp', 'signature',
];

export type ParseAuthorizationResult =
  | { readonly ok: true; readonly authorization: DeviceAuthorization }
  | { readonly ok: false; readonly reason: AuthorizationReason };

/** True for a deviceId or keyId: 1..64 characters of `[A-Za-z0-9._:-]`. */
export function isCredentialId(value: string): boolean {
  return value.length >= 1 && value.length <= idLengthMax && idPattern.test(value);
}

/**
 * Reads an Authorization header value (as the HTTP server hands it over, surrounding
 * whitespace already trimmed). Never throws: anything but the exact grammar is a reason.
 */
export function parseAuthorization(header: string | null | undefined): ParseAuthorizationResult {
  if (header === undefined || header === null || header === '') return rejected('missing');
  // Bound first, so no pattern below ever runs on more than a few hundred characters.
  if (header.length > authorizationLengthMax) return rejected('too-long');
  const space = header.indexOf(' ');
  if ((space === -1 ? header : header.slice(0, space)) !== authorizationScheme) return rejected('scheme');
  const params = header.slice(space + 1).split(', ');
  if (space === -1 || params.length !== 3) return rejected('syntax');
  const [credential, timestamp, signature] = params as [string, string, string];
  if (!credential.startsWith(credentialPrefix) || !timestamp.startsWith(timestampPrefix) || !signature.startsWith(signaturePrefix)) {
    return rejected('syntax');
  }
  const ids = credential.slice(credentialPrefix.length).split('/');
  const [deviceId, keyId] = ids as [string, string];
  if (ids.length !== 2 || !isCredentialId(deviceId) || !isCredentialId(keyId)) return rejected('credential');
  const timestampText = timestamp.slice(timestampPrefix.length);
  const timestampMs = Number(timestampText);
  if (!timestampPattern.test(timestampText) || !Number.isSafeInteger(timestampMs)) return rejected('timestamp');
  const signatureBytesRead = decodeSignature(signature.slice(signaturePrefix.length));
  if (signatureBytesRead === undefined) return rejected('signature');
  return { ok: true, authorization: { deviceId, keyId, timestampMs, signature: signatureBytesRead } };
}

/** The header value for a signature. The inverse of parseAuthorization. */
export function formatAuthorization(authorization: DeviceAuthorization): string {
  const { deviceId, keyId, timestampMs, signature } = authorization;
  assert(isCredentialId(deviceId), `deviceId ${JSON.stringify(deviceId)} must be 1..${idLengthMax} of [A-Za-z0-9._:-]`);
  assert(isCredentialId(keyId), `keyId ${JSON.stringify(keyId)} must be 1..${idLengthMax} of [A-Za-z0-9._:-]`);
  aSafeUint(timestampMs, 'timestampMs');
  aBytes(signature, signatureBytes, 'signature');
  const signatureText = Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString('base64url');
  return `${authorizationScheme} ${credentialPrefix}${deviceId}/${keyId}, ${timestampPrefix}${timestampMs}, ${signaturePrefix}${signatureText}`;
}

/**
 * 43 base64url characters carry 258 bits; the last 2 must be zero. Re-encoding and
 * comparing rejects the 3 other spellings of each signature, so one signature has one text.
 */
function decodeSignature(text: string): Buffer | undefined {
  if (!signaturePattern.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.length === signatureBytes && bytes.toString('base64url') === text ? bytes : undefined;
}

function rejected(reason: AuthorizationReason): ParseAuthorizationResult {
  return { ok: false, reason };
}
