import operators from '../data/operators.json' with { type: 'json' };
import { type OperatorRegistry, parseOperatorRegistry } from './operators.js';

// The shipped operator registry (data/operators.json), loaded and checked. A JSON module,
// not node:fs, as @fareledger/domain/node-data: it loads wherever the package does.

export const szmOperatorsFile = 'shared/invoice/data/operators.json';

export function loadSzmOperators(): OperatorRegistry {
  return parseOperatorRegistry(operators as unknown, szmOperatorsFile);
}
