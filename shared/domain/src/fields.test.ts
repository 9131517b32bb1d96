import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import { checkId, checkInt, fieldOf, isPlainRecord, isText, RecordReader } from './fields.js';
import { idLengthMax } from './limits.js';
import { mulberry32 } from './seeded-random.js';

// RecordReader reads values from one Object.keys/Object.values snapshot while reads follow
// the record's order, and falls back to lookups and a list of keys read when they do not.
// This reference is the reader as it was before (a Set of keys read, a lookup per read):
// both must return the same values and throw the same errors for any record and any reads.
class ReferenceReader {
  private readonly seen = new Set<string>();

  constructor(private readonly record: Record<string, unknown>, private readonly path: string) {}

  has(key: string): boolean {
    return Object.hasOwn(this.record, key) && this.record[key] !== undefined;
  }

  id(key: string): string {
    return checkId(fieldOf(this.path, key), this.required(key), idLengthMax);
  }

  idOptional(key: string): string | undefined {
    return this.has(key) ? this.id(key) : this.skip(key);
  }

  int(key: string, intBounds: typeof bounds): number {
    return checkInt(fieldOf(this.path, key), this.required(key), intBounds);
  }

  intOptional(key: string, intBounds: typeof bounds): number | undefined {
    return this.has(key) ? this.int(key, intBounds) : this.skip(key);
  }

  finish(): void {
    for (const key of Object.keys(this.record)) {
      if (!this.seen.has(key) && this.record[key] !== undefined) {
        throw new ValidationError(fieldOf(this.path, key), 'not-allowed', 'is not allowed here');
      }
    }
  }

  private required(key: string): unknown {
    this.seen.add(key);
    if (!this.has(key)) throw new ValidationError(fieldOf(this.path, key), 'missing', 'is required');
    return this.record[key];
  }

  private skip(key: string): undefined {
    this.seen.add(key);
    return undefined;
  }
}

const bounds = { min: 0, max: 1000 };
type Read = readonly ['id' | 'idOptional' | 'int' | 'intOptional', string];

function outcome(reader: RecordReader | ReferenceReader, reads: readonly Read[]): unknown[] {
  const results: unknown[] = [];
  try {
    for (const [method, key] of reads) {
      if (method === 'id' || method === 'idOptional') results.push(reader[method](key));
      else results.push(reader[method](key, bounds));
    }
    reader.finish();
    results.push('finished');
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    results.push([error.field, error.code, error.message]);
  }
  return results;
}

describe('RecordReader against the reference reader', () => {
  const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
  const values: unknown[] = ['id-1', 'x y', '', 7, -1, 1001, undefined, null, ['id-2'], 5.5];

  it('returns and throws the same for 20,000 generated records and reads', () => {
    const next = mulberry32(0x7eed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const shuffled = <T>(items: readonly T[]): T[] => items.map((item) => [next(), item] as const).sort((x, y) => x[0] - y[0]).map(([, item]) => item);
    const counts = { finished: 0, thrown: 0, outOfOrder: 0 };
    for (let i = 0; i < 20_000; i++) {
      const record: Record<string, unknown> = next() < 0.2 ? (Object.create(null) as Record<string, unknown>) : {};
      const present = shuffled(keys).filter(() => next() < 0.7);
      // Mostly valid values, so that reads get past the first key.
      for (const key of present) record[key] = next() < 0.9 ? (next() < 0.5 ? `id-${key}` : 5) : pick(values);
      if (next() < 0.1) Object.defineProperty(record, 'g', { value: 'id-g', enumerable: false });
      // Reads mostly in the record's order (as parseTap reads a decoded entry), some not.
      const inOrder = next() < 0.6;
      if (!inOrder) counts.outOfOrder++;
      const readKeys = (inOrder ? [...Object.keys(record), 'g'] : shuffled([...keys, 'g'])).filter(() => next() < 0.95);
      // Mostly the method that fits the value, so that reads get to finish().
      const reads: Read[] = readKeys.map((key) => {
        const optional = next() < 0.3;
        if (next() < 0.1) return [pick(['id', 'idOptional', 'int', 'intOptional'] as const), key];
        if (typeof record[key] === 'number') return [optional ? 'intOptional' : 'int', key];
        return [optional ? 'idOptional' : 'id', key];
      });
      const path = next() < 0.5 ? '' : 'tap';
      const expected = outcome(new ReferenceReader(record, path), reads);
      expect(outcome(new RecordReader(record, path), reads)).toEqual(expected);
      if (expected.at(-1) === 'finished') counts.finished++;
      else counts.thrown++;
    }
    expect(Math.min(counts.finished, counts.thrown, counts.outOfOrder)).toBeGreaterThan(2_000);
  });

  it.each<[string, Record<string, unknown>, Read[], unknown[]]>([
    ['in order', { a: 'x', b: 1 }, [['id', 'a'], ['int', 'b']], ['x', 1, 'finished']],
    ['out of order', { b: 1, a: 'x' }, [['id', 'a'], ['int', 'b']], ['x', 1, 'finished']],
    ['an extra key after the ones read', { a: 'x', b: 1, z: 2 }, [['id', 'a'], ['int', 'b']], ['x', 1, ['z', 'not-allowed', 'z: is not allowed here']]],
    ['an extra key before them', { z: 2, a: 'x' }, [['id', 'a']], ['x', ['z', 'not-allowed', 'z: is not allowed here']]],
    ['an undefined key, skipped', { a: undefined, b: 1 }, [['idOptional', 'a'], ['int', 'b']], [undefined, 1, 'finished']],
    ['an undefined key, never read', { a: 'x', u: undefined }, [['id', 'a']], ['x', 'finished']],
    ['an absent optional key', { b: 1 }, [['idOptional', 'a'], ['int', 'b']], [undefined, 1, 'finished']],
    ['a missing key', { b: 1 }, [['id', 'a']], [['a', 'missing', 'a: is required']]],
    ['a key read twice', { a: 'x', b: 1 }, [['id', 'a'], ['id', 'a'], ['int', 'b']], ['x', 'x', 1, 'finished']],
    ['an inherited key', Object.create({ a: 'x' }) as Record<string, unknown>, [['idOptional', 'a']], [undefined, 'finished']],
    ['-0', { n: -0 }, [['int', 'n']], [0, 'finished']],
  ])('%s', (_name, record, reads, expected) => {
    // Object.create({ a }) is not a plain record; give the reference the same chance.
    if (!isPlainRecord(record)) {
      expect(() => new RecordReader(record, '')).toThrow(ValidationError);
      return;
    }
    expect(outcome(new RecordReader(record, ''), reads)).toEqual(expected);
    expect(outcome(new ReferenceReader(record, ''), reads)).toEqual(expected);
  });

  it('reads -0 as 0 on both paths', () => {
    expect(Object.is(new RecordReader({ n: -0 }, '').int('n', bounds), 0)).toBe(true);
    const outOfOrder = new RecordReader({ m: 1, n: -0 }, '');
    expect(Object.is(outOfOrder.int('n', bounds), 0)).toBe(true);
  });
});

describe('isText', () => {
  // The schemas of the HTTP doors use it to refuse what the ledger's reader would refuse later.
  it.each([
    ['plain text', 'Passenger charged twice', true],
    ['HTML and quotes, which are data', '<script>alert(1)</script> \' OR 1=1 --', true],
    ['letters of any script, emoji', 'wа 退款 🚇', true],
    ['200 code points of emoji (400 UTF-16 units)', '🚇'.repeat(200), true],
    ['empty', '', false],
    ['201 code points', 'x'.repeat(201), false],
    ['NUL', 'a\u0000b', false],
    ['CR LF', 'a\r\nb', false],
    ['an escape sequence', 'a\u001b[31m', false],
    ['right-to-left override', 'a\u202Eb', false],
    ['zero-width space', 'a\u200Bb', false],
    ['line separator', 'a\u2028b', false],
    ['lone surrogate', 'a\ud800b', false],
    ['not a string', 42, false],
  ])('%s: %s', (_name, value, expected) => {
    expect(isText(value, 200)).toBe(expected);
    const read = () => new RecordReader({ reason: value }, '').text('reason', 200);
    if (expected) expect(read()).toBe(value);
    else expect(read).toThrow(ValidationError);
  });
});
