// Where each stored value of a table lies in a SQLite file, byte for byte, read off the
// file format itself (https://www.sqlite.org/fileformat2.html): the leaf pages of a
// B-tree, their cells, each cell's record header, and the overflow chain of a record too
// big for its page. The tamper test uses it to flip one byte of one value in the file
// (an entry bundle, a tile, a checkpoint's note or offsets), not somewhere in the slack
// space of a page. Reads only; knows nothing of the ledger.

export interface StoredRecord {
  readonly pageNumber: number;
  /** Each column's value as payload positions [start, end); NULL, 0 and 1 take no bytes (start === end). */
  readonly columns: readonly { readonly start: number; readonly end: number }[];
  /** The file offset of payload byte `position`. */
  fileOffset(position: number): number;
}

export interface FileLayout {
  readonly pageBytes: number;
  /** Page size less the reserved bytes at the end of each page. */
  readonly usableBytes: number;
}

const tableLeaf = 0x0d;
const indexLeaf = 0x0a;
/** An index B-tree keeps records on its interior pages too (a table B-tree keeps only rowids there). */
const indexInterior = 0x02;
const tableInterior = 0x05;

export function fileLayout(file: Uint8Array): FileLayout {
  const header = Buffer.from(file.buffer, file.byteOffset, 100);
  if (header.toString('latin1', 0, 16) !== 'SQLite format 3\u0000') throw new Error('not a SQLite database file');
  const raw = header.readUInt16BE(16);
  const pageBytes = raw === 1 ? 65_536 : raw;
  return { pageBytes, usableBytes: pageBytes - header[20]! };
}

/**
 * The records on the B-tree pages given (from `dbstat`: the pages whose `name` is the
 * table, leaf and internal; overflow pages are followed from their records). A rowid
 * table keeps its records on its leaves; a WITHOUT ROWID table is stored as an index
 * B-tree, records on every page, primary-key columns first.
 */
export function recordsOfPages(file: Uint8Array, layout: FileLayout, pages: readonly number[]): StoredRecord[] {
  return pages.flatMap((pageNumber) => recordsOfPage(file, layout, pageNumber));
}

function recordsOfPage(file: Uint8Array, layout: FileLayout, pageNumber: number): StoredRecord[] {
  const pageStart = (pageNumber - 1) * layout.pageBytes;
  const headerStart = pageStart + (pageNumber === 1 ? 100 : 0);
  const type = file[headerStart]!;
  if (type === tableInterior) return [];
  if (type !== tableLeaf && type !== indexLeaf && type !== indexInterior) throw new Error(`page ${pageNumber} is not a B-tree page (type ${type})`);
  const interior = type === indexInterior;
  const cellCount = u16(file, headerStart + 3);
  const records: StoredRecord[] = [];
  for (let i = 0; i < cellCount; i += 1) {
    const cellStart = pageStart + u16(file, headerStart + (interior ? 12 : 8) + 2 * i);
    records.push(recordOfCell(file, layout, pageNumber, interior ? cellStart + 4 : cellStart, type));
  }
  return records;
}

/** `cellStart`: the cell's payload size (after an interior cell's child pointer). */
function recordOfCell(file: Uint8Array, layout: FileLayout, pageNumber: number, cellStart: number, type: number): StoredRecord {
  const [payloadBytes, afterSize] = varint(file, cellStart);
  const payloadStart = type === tableLeaf ? varint(file, afterSize)[1] : afterSize;
  const localBytes = localPayloadBytes(layout.usableBytes, payloadBytes, type);
  const segments = [{ fileStart: payloadStart, bytes: localBytes }];
  let overflowPage = localBytes < payloadBytes ? u32(file, payloadStart + localBytes) : 0;
  for (let covered = localBytes; covered < payloadBytes; overflowPage = u32(file, (overflowPage - 1) * layout.pageBytes)) {
    const bytes = Math.min(layout.usableBytes - 4, payloadBytes - covered);
    segments.push({ fileStart: (overflowPage - 1) * layout.pageBytes + 4, bytes });
    covered += bytes;
  }
  const fileOffset = (position: number): number => {
    let start = 0;
    for (const segment of segments) {
      if (position < start + segment.bytes) return segment.fileStart + position - start;
      start += segment.bytes;
    }
    throw new RangeError(`payload position ${position} is beyond the record's ${payloadBytes} bytes`);
  };
  return { pageNumber, columns: recordColumns(file, fileOffset), fileOffset };
}

/** The record header is never bigger than the local part of a payload, so it is read in place. */
function recordColumns(file: Uint8Array, fileOffset: (position: number) => number): { start: number; end: number }[] {
  const headerStart = fileOffset(0);
  const [headerBytes, firstType] = varint(file, headerStart);
  const columns: { start: number; end: number }[] = [];
  let value = headerBytes;
  for (let at = firstType; at < headerStart + headerBytes;) {
    const [serialType, next] = varint(file, at);
    const bytes = serialTypeBytes(serialType);
    columns.push({ start: value, end: value + bytes });
    value += bytes;
    at = next;
  }
  return columns;
}

/** The bytes of a payload kept on its B-tree page (the rest goes to overflow pages). */
export function localPayloadBytes(usableBytes: number, payloadBytes: number, type: number): number {
  const maxLocal = type === tableLeaf ? usableBytes - 35 : Math.floor(((usableBytes - 12) * 64) / 255) - 23;
  if (payloadBytes <= maxLocal) return payloadBytes;
  const minLocal = Math.floor(((usableBytes - 12) * 32) / 255) - 23;
  const local = minLocal + ((payloadBytes - minLocal) % (usableBytes - 4));
  return local <= maxLocal ? local : minLocal;
}

export function serialTypeBytes(serialType: number): number {
  if (serialType >= 12) return Math.floor((serialType - 12) / 2);
  return [0, 1, 2, 3, 4, 6, 8, 8, 0, 0][serialType] ?? badSerialType(serialType);
}

function badSerialType(serialType: number): never {
  throw new Error(`serial type ${serialType} is reserved`);
}

/** A SQLite varint at `at`: its value and the offset after it (1 to 9 bytes, big-endian, 7 bits a byte but the 9th). */
export function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 8; i += 1) {
    const byte = bytes[at + i]!;
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return [value, at + i + 1];
  }
  return [value * 256 + bytes[at + 8]!, at + 9];
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!;
}
