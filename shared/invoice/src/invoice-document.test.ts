import { describe, expect, it } from 'vitest';
import { InvoiceInvalidError } from './errors.js';
import { invoiceSchema } from './invoice-schema.js';
import { metroInvoice, refundInvoice, testVerifier } from './test-log.js';
import { verifyInvoice } from './verify.js';

// The verifier reads documents with a hand-written check (invoice-document.ts), not with
// invoiceSchema (zod, which documents the format): every document the schema refuses, the
// verifier must refuse too. Mutations of real invoices, blue and red: each field dropped,
// each given a value of every other JSON type, an unknown field added to each object.

type Json = unknown;

function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [prefix, ...keys.flatMap((key) => paths((value as Record<string | number, Json>)[key], [...prefix, key]))];
}

function mutate(document: Json, path: readonly (string | number)[], change: (parent: Record<string | number, Json>, key: string | number) => void): Json {
  const copy = structuredClone(document) as Record<string | number, Json>;
  if (path.length === 0) return copy;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, Json>;
  change(at, path.at(-1)!);
  return copy;
}

const others: Json[] = [null, true, 0, -1, 1.5, '', 'x', [], {}, 'ff'.repeat(32)];

function refused(document: Json): boolean {
  try {
    verifyInvoice(document, { verifierKeys: [testVerifier] });
    return false;
  } catch (error) {
    if (error instanceof InvoiceInvalidError) return true;
    throw error;
  }
}

describe('the verifier refuses every document the schema refuses', () => {
  const { log, invoice, sealed } = metroInvoice();
  const red = refundInvoice(log, sealed);
  for (const [name, document] of [['blue', invoice], ['red', red]] as const) {
    it(`${name}: fields dropped, retyped, added`, () => {
      let checked = 0;
      for (const path of paths(document)) {
        const mutants: Json[] = [];
        if (path.length > 0) mutants.push(mutate(document, path, (parent, key) => (Array.isArray(parent) ? parent.splice(Number(key), 1) : delete parent[key])));
        for (const other of others) if (path.length > 0) mutants.push(mutate(document, path, (parent, key) => (parent[key] = other)));
        const target = path.reduce<Json>((at, key) => (at as Record<string | number, Json>)[key], document);
        if (typeof target === 'object' && target !== null && !Array.isArray(target)) mutants.push(mutate(document, [...path, 'zz'], (parent, key) => (parent[key] = 1)));
        for (const mutant of mutants) {
          if (!invoiceSchema.safeParse(mutant).success) {
            expect(refused(mutant), JSON.stringify(path)).toBe(true);
            checked += 1;
          }
        }
      }
      expect(checked).toBeGreaterThan(500);
    });
  }
});
