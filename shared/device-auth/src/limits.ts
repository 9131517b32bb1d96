// Every bound of the scheme, named with its unit last. Devices in the field depend on them,
// so changing one is a change of the scheme (FL2), not a tuning knob.

/** The auth-scheme token that opens the header; also the first line of the string to sign. */
export const authorizationScheme = 'FL1-HMAC-SHA256';

/** A device secret: 256 random bits, the HMAC-SHA256 key. */
export const secretBytes = 32;
/** An HMAC-SHA256 output; sent as 43 base64url characters without padding. */
export const signatureBytes = 32;
/** The base64url length of a signature: ceil(32 * 8 / 6). */
export const signatureTextLength = 43;

/** deviceId and keyId, as every identifier in the domain (`[A-Za-z0-9._:-]`, 1..64). */
export const idLengthMax = 64;
/** The longest header the parser reads: the longest well-formed one is 239 characters. */
export const authorizationLengthMax = 256;
/** Request target (path and query). Ingest's routes are short; 2 KiB leaves room for queries. */
export const targetLengthMax = 2048;
/** HTTP method names: `POST`, `GET`, ... */
export const methodLengthMax = 16;
/** Unix ms with no leading zeros: at most 16 digits (Number.MAX_SAFE_INTEGER has 16). */
export const timestampDigitsMax = 16;
