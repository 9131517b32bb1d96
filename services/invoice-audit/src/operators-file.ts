import { readFileSync } from 'node:fs';
import { type OperatorRegistry, parseOperatorRegistry } from '@fareledger/invoice';
import { loadSzmOperators } from '@fareledger/invoice/node-data';

/** The operator registry of INVOICE_OPERATORS_PATH, or Shenzhen's built-in one for ''. */
export function loadOperators(path: string): OperatorRegistry {
  if (path === '') return loadSzmOperators();
  return parseOperatorRegistry(JSON.parse(readFileSync(path, 'utf8')) as unknown, path);
}
