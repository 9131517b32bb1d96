/** The body encodings POST /v1/taps understands. */
export type BodyEncoding = 'json' | 'msgpack';

/** Media types accepted for each encoding; the first is the one we document. */
export const mediaTypes: Readonly<Record<BodyEncoding, readonly string[]>> = {
  json: ['application/json'],
  // No single registered name exists; clients in the wild send all three.
  msgpack: ['application/msgpack', 'application/vnd.msgpack', 'application/x-msgpack'],
};

/**
 * Which encoding a Content-Type header names, or undefined when we do not accept it.
 * Parameters other than `charset=utf-8` on JSON are refused rather than ignored, so a
 * client sending latin-1 learns at once instead of getting mangled station names.
 */
export function bodyEncodingOf(contentType: string | undefined): BodyEncoding | undefined {
  if (contentType === undefined) return undefined;
  const [essence = '', ...params] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const encoding = (Object.keys(mediaTypes) as BodyEncoding[]).find((key) => mediaTypes[key].includes(essence));
  if (encoding === undefined) return undefined;
  for (const param of params) {
    if (param === '') continue;
    if (encoding === 'json' && /^charset="?utf-8"?$/.test(param)) continue;
    return undefined;
  }
  return encoding;
}
