import type { EntryType } from '@fareledger/domain';
import { entryFields, entryHeaderFields, entrySchemaVersion, type FieldKind } from './entry-schema.js';

// The schema (entry-schema.ts) with each key's bytes worked out once: every key, and every
// entry type's name, is short ASCII, so it is written as a fixstr (head 0xa0 | length, then
// the characters). The writer copies these bytes; the one-pass reader compares with them.

export interface WireField {
  readonly name: string;
  readonly kind: FieldKind;
  /** The key as written: fixstr head byte, then its ASCII bytes. */
  readonly key: Uint8Array;
  /**
   * The same bytes as big-endian 32-bit words, the last padded with zeros: copied and
   * compared a word at a time, measured 2.5 times faster than byte by byte.
   */
  readonly keyWords: readonly number[];
}

/** Big-endian 32-bit words of `bytes`, the last padded with zeros. */
export function wordsOf(bytes: Uint8Array): number[] {
  const words: number[] = [];
  for (let at = 0; at < bytes.length; at += 4) {
    words.push((((bytes[at] ?? 0) << 24) | ((bytes[at + 1] ?? 0) << 16) | ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0)) >>> 0);
  }
  return words;
}

/** A short ASCII string as a fixstr: head byte, then the bytes. Throws at load on a longer one. */
export function fixstr(text: string): Uint8Array {
  if (text.length >= 32 || !/^[\x20-\x7e]+$/.test(text)) throw new Error(`fixstr: '${text}' is not a short ASCII key`);
  return Uint8Array.from([0xa0 | text.length, ...[...text].map((char) => char.charCodeAt(0))]);
}

function wireFieldsOf(type: EntryType): readonly WireField[] {
  return entryFields[type].map(([name, kind]) => {
    const key = fixstr(name);
    return { name, kind, key, keyWords: wordsOf(key) };
  });
}

/** Each type's body fields in wire order, as in entryFields. */
export const wireFields: { readonly [T in EntryType]: readonly WireField[] } = {
  tap: wireFieldsOf('tap'),
  trip: wireFieldsOf('trip'),
  adjustment: wireFieldsOf('adjustment'),
};

/** Each type's name as the value of `type`. */
export const typeNames: { readonly [T in EntryType]: Uint8Array } = {
  tap: fixstr('tap'),
  trip: fixstr('trip'),
  adjustment: fixstr('adjustment'),
};

/** `v: 1, type:` exactly as written (the version is a positive fixint); the type's name follows. */
export const headerBytes = Uint8Array.from([...fixstr('v'), entrySchemaVersion, ...fixstr('type')]);

if (entrySchemaVersion > 0x7f || entryHeaderFields.map(([name]) => name).join() !== 'v,type') {
  throw new Error('wire-fields: headerBytes no longer matches entryHeaderFields and entrySchemaVersion');
}

/** What follows the map header: `v: 1, type: <type>`, as bytes and as words (wordsOf). */
export const entryPrefixes: { readonly [T in EntryType]: { readonly bytes: Uint8Array; readonly words: readonly number[] } } = {
  tap: prefixOf('tap'),
  trip: prefixOf('trip'),
  adjustment: prefixOf('adjustment'),
};

function prefixOf(type: EntryType): { bytes: Uint8Array; words: number[] } {
  const bytes = Uint8Array.from([...headerBytes, ...typeNames[type]]);
  return { bytes, words: wordsOf(bytes) };
}
