import { assert } from '@fareledger/domain';

// The canonical msgpack writer for ledger entries. It writes only what entries use (maps,
// arrays, strings, integers), each in its shortest format, non-negative integers in the
// unsigned family: the same bytes msgpack-python and @msgpack/msgpack (default options)
// write, checked against their source.
//
// Why not msgpackr's pack (2.1.3, measured): a number >= 2^32 such as a ms timestamp is
// written as float 64 (1772413331000 → cb 42 79 ca c1 12 63 80 00); a bigint is always
// int 64 (d3), even 5n; with records on (the default) 64..127 become uint 8 (cc 40) and
// objects a record extension; with useRecords: false objects are always map 16 (de 00 02)
// unless variableMapSize is set. Ledger bytes are forever, so the format lives in this one
// small file, not in a dependency's options.

const textEncoder = new TextEncoder();

// Measured with bench/codec.ts (Node 20, 2 cores): an assertion message built with a
// template string on every call (`over ${n} bytes`) cost more than the write it guarded, so
// messages are built only on failure; and a fresh ArrayBuffer per entry (slice) cost 0.4-1 µs,
// so the writer writes into a shared slab and finish() hands out a view of it (see there).

/** Bytes per slab, at least: room for a few hundred entries. */
const slabBytesMin = 32 * 1024;
/** Slack after the last byte a write may need: rawWords writes whole words. */
const slackBytes = 3;

export class CanonicalWriter {
  /** The slab written into; bytes before `start` belong to copies handed out. */
  private bytes: Uint8Array;
  private view: DataView;
  /** Where the bytes being written begin, and end, in the slab. */
  private start = 0;
  private length = 0;

  constructor(private readonly capacityBytes: number) {
    if (!(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0)) assert(false, `CanonicalWriter: bad capacity ${capacityBytes}`);
    this.bytes = new Uint8Array(0);
    this.view = new DataView(this.bytes.buffer);
    this.newSlab();
  }

  mapHeader(size: number): void {
    this.header(size, 0x80, 0xde, 0xdf);
  }

  arrayHeader(size: number): void {
    this.header(size, 0x90, 0xdc, 0xdd);
  }

  str(value: string): void {
    // Most strings (keys, ids, accounts) are ASCII: copy them unit by unit, four to a store,
    // measured 10x faster than TextEncoder, which allocates. The header assumes ASCII (bytes
    // = UTF-16 units); at the first other unit the string is written again through TextEncoder.
    const start = this.length;
    const size = value.length;
    this.strHeader(size);
    this.room(size);
    const at = this.length;
    const view = this.view;
    const bytes = this.bytes;
    let i = 0;
    for (; i + 4 <= size; i += 4) {
      const a = value.charCodeAt(i);
      const b = value.charCodeAt(i + 1);
      const c = value.charCodeAt(i + 2);
      const d = value.charCodeAt(i + 3);
      if ((a | b | c | d) > 0x7f) return this.utf8At(start, value);
      view.setUint32(at + i, (a << 24) | (b << 16) | (c << 8) | d);
    }
    for (; i < size; i++) {
      const unit = value.charCodeAt(i);
      if (unit > 0x7f) return this.utf8At(start, value);
      bytes[at + i] = unit;
    }
    this.length = at + size;
  }

  /**
   * `size` bytes already in msgpack form, given as big-endian 32-bit words (wordsOf): whole
   * words are written, into the slack past the end when `size` is not a multiple of 4; the
   * next write covers those bytes, and finish() hands out only the `size` written.
   */
  rawWords(words: readonly number[], size: number): void {
    this.room(size);
    const view = this.view;
    let at = this.length;
    for (let i = 0; i < words.length; i++) {
      view.setUint32(at, words[i] as number);
      at += 4;
    }
    this.length += size;
  }

  int(value: number): void {
    if (!Number.isSafeInteger(value)) assert(false, `CanonicalWriter.int: not a safe integer: ${value}`);
    const head = intHead(value);
    if (head === fixint) return this.byte(value & 0xff);
    const size = intSize(head);
    this.room(1 + size);
    this.bytes[this.length] = head;
    const at = this.length + 1;
    if (size === 8) {
      // Two 32-bit halves, exact for safe integers; the high half of a negative one is
      // Math.floor(value / 2^32), the low half what remains (two's complement).
      const high = Math.floor(value / 0x1_0000_0000);
      this.view.setUint32(at, high >>> 0);
      this.view.setUint32(at + 4, (value - high * 0x1_0000_0000) >>> 0);
    } else if (size === 4) {
      if (head === 0xce) this.view.setUint32(at, value);
      else this.view.setInt32(at, value);
    } else if (size === 2) {
      if (head === 0xcd) this.view.setUint16(at, value);
      else this.view.setInt16(at, value);
    } else {
      this.bytes[at] = value & 0xff;
    }
    this.length += 1 + size;
  }

  /** Starts over: drops what was written since the last finish(). */
  reset(): void {
    if (this.bytes.length === 0) this.newSlab(); // someone detached the slab's buffer
    this.length = this.start;
  }

  /** The bytes written so far: a view of the slab, valid until the next write. */
  written(): Uint8Array {
    return this.bytes.subarray(this.start, this.length);
  }

  /**
   * The bytes written, for the caller to keep: a view of the slab, whose later bytes go to
   * later copies, as Buffer.allocUnsafe's share Node's pool. So a reader must mind the view's
   * byteOffset (every Uint8Array API does) and must not transfer or detach its buffer; and
   * one kept alone for long keeps its whole slab (32 KiB) alive: keep a slice() of it then.
   */
  finish(): Uint8Array {
    const start = this.start;
    const length = this.length - start;
    const copy = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + start, length);
    // The next copy starts on an 8-byte boundary, so a reader may lay a wider view over it.
    this.start = this.length = (this.length + 7) & ~7;
    if (this.bytes.length - this.start < this.capacityBytes + slackBytes) this.newSlab();
    return copy;
  }

  private newSlab(): void {
    this.bytes = new Uint8Array(Math.max(slabBytesMin, 2 * (this.capacityBytes + slackBytes)));
    this.view = new DataView(this.bytes.buffer);
    this.start = this.length = 0;
  }

  /** Rewrites the string begun at `start` as UTF-8 through TextEncoder. */
  private utf8At(start: number, value: string): void {
    this.length = start;
    const utf8 = textEncoder.encode(value);
    this.strHeader(utf8.length);
    this.room(utf8.length);
    this.bytes.set(utf8, this.length);
    this.length += utf8.length;
  }

  private strHeader(size: number): void {
    if (size < 32) return this.byte(0xa0 | size);
    if (size <= 0xff) {
      this.room(2);
      this.bytes[this.length] = 0xd9;
      this.bytes[this.length + 1] = size;
      this.length += 2;
      return;
    }
    this.header(size, 0xa0, 0xda, 0xdb); // size >= 256 never takes the fix form
  }

  private header(size: number, fix: number, head16: number, head32: number): void {
    if (!(Number.isInteger(size) && size >= 0 && size <= 0xffffffff)) assert(false, `header: bad size ${size}`);
    if (size < 16) return this.byte(fix | size);
    this.room(size <= 0xffff ? 3 : 5);
    this.bytes[this.length] = size <= 0xffff ? head16 : head32;
    if (size <= 0xffff) this.view.setUint16(this.length + 1, size);
    else this.view.setUint32(this.length + 1, size);
    this.length += size <= 0xffff ? 3 : 5;
  }

  private byte(value: number): void {
    this.room(1);
    this.bytes[this.length++] = value;
  }

  /** The write stays within capacityBytes; the slab always has that much room past `start`, plus the slack. */
  private room(size: number): void {
    if (this.length + size - this.start > this.capacityBytes) assert(false, `CanonicalWriter: over ${this.capacityBytes} bytes`);
  }
}

/** Marks a value written as positive or negative fixint (the head byte is the value). */
export const fixint = -1;

/**
 * The head byte of an integer's canonical format, or `fixint`. Non-negative values take the
 * unsigned family (cc cd ce cf), negative ones the signed family (d0 d1 d2 d3): shortest wins,
 * and for equal length unsigned wins, as in msgpack-python.
 */
export function intHead(value: number | bigint): number {
  if (value >= 0) {
    if (value < 0x80) return fixint;
    if (value <= 0xff) return 0xcc;
    if (value <= 0xffff) return 0xcd;
    if (value <= 0xffffffff) return 0xce;
    return 0xcf;
  }
  if (value >= -0x20) return fixint;
  if (value >= -0x80) return 0xd0;
  if (value >= -0x8000) return 0xd1;
  if (value >= -0x80000000) return 0xd2;
  return 0xd3;
}

/** Payload bytes after an integer head byte cc..d3. */
export function intSize(head: number): 1 | 2 | 4 | 8 {
  if (!(head >= 0xcc && head <= 0xd3)) assert(false, `intSize: not an int head ${head}`);
  return intSizes[(head - 0xcc) & 3] as 1 | 2 | 4 | 8;
}

const intSizes = [1, 2, 4, 8] as const;
