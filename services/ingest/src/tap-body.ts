import { Unpackr } from 'msgpackr';
import type { BodyEncoding } from './media-type.js';

/** The body could not be decoded at all: not UTF-8, not JSON, not one msgpack value. */
export class MalformedBodyError extends Error {
  override readonly name = 'MalformedBodyError';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// Plain objects, never msgpackr's record extension, so the body means the same in every
// language's msgpack library; msgpackr renames `__proto__` keys, so no prototype tricks.
const unpackr = new Unpackr({ mapsAsObjects: true, useRecords: false });

/** Decodes a request body into an untrusted value for the schema to check. */
export function decodeBody(bytes: Uint8Array, encoding: BodyEncoding): unknown {
  if (bytes.length === 0) throw new MalformedBodyError('the body is empty');
  if (encoding === 'json') return decodeJson(bytes);
  return decodeMsgpack(bytes);
}

function decodeJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new MalformedBodyError('the body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedBodyError(`the body is not valid JSON: ${(error as Error).message}`);
  }
}

function decodeMsgpack(bytes: Uint8Array): unknown {
  try {
    return unpackr.unpack(bytes);
  } catch (error) {
    throw new MalformedBodyError(`the body is not one valid msgpack value: ${(error as Error).message}`);
  }
}
