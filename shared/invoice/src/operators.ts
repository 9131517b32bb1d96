import { isMode, type Mode, modes } from '@fareledger/domain';
import { OperatorRegistryError } from './errors.js';

// The sellers of a city: who runs each operatorId a tap names, their taxpayer id, and the
// VAT rate of each mode they run. Invoices state the seller from here; the ledger binds
// only the operatorId (see docs/invoices.md, "What the verifier proves").

/** VAT rates are basis points: 900 = 9.00 %. At most 100 %. */
export const vatRateBpMax = 10_000;
export const operatorsMax = 1_000;
const nameLengthMax = 200;

export interface Operator {
  readonly operatorId: string;
  readonly name: string;
  /** Unified social credit code (GB 32100-2015): 18 characters, the last a check character. */
  readonly taxpayerId: string;
  readonly address: string;
  /** VAT rate per mode the operator runs, basis points. */
  readonly vatRatesBp: Readonly<Partial<Record<Mode, number>>>;
}

export class OperatorRegistry {
  readonly #byId: ReadonlyMap<string, Operator>;

  constructor(readonly registry: string, readonly operators: readonly Operator[]) {
    this.#byId = new Map(operators.map((operator) => [operator.operatorId, operator]));
  }

  operator(operatorId: string): Operator | undefined {
    return this.#byId.get(operatorId);
  }
}

const creditCodeCharset = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const creditCodeWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** GB 32100-2015: 17 characters of the 31-letter charset, then the check character (mod 31). */
export function isUnifiedSocialCreditCode(code: string): boolean {
  if (code.length !== 18) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = creditCodeCharset.indexOf(code[i]!);
    if (value < 0) return false;
    sum += value * creditCodeWeights[i]!;
  }
  const check = (31 - (sum % 31)) % 31;
  return code[17] === creditCodeCharset[check];
}

const operatorIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

/** Checks a registry file's parsed JSON; `source` names the file in errors. */
export function parseOperatorRegistry(json: unknown, source: string): OperatorRegistry {
  const file = record(json, source, '(file)');
  const registry = text(file.registry, source, 'registry', 64);
  const list = file.operators;
  if (!Array.isArray(list) || list.length === 0 || list.length > operatorsMax) {
    throw new OperatorRegistryError(source, 'operators', `must be a list of 1..${operatorsMax} operators`);
  }
  const seen = new Set<string>();
  const operators = list.map((item, i) => {
    const operator = parseOperator(item, source, `operators[${i}]`);
    if (seen.has(operator.operatorId)) throw new OperatorRegistryError(source, `operators[${i}].operatorId`, `${operator.operatorId} is listed twice`);
    seen.add(operator.operatorId);
    return operator;
  });
  return new OperatorRegistry(registry, operators);
}

function parseOperator(item: unknown, source: string, at: string): Operator {
  const o = record(item, source, at);
  const operatorId = text(o.operatorId, source, `${at}.operatorId`, 64);
  if (!operatorIdPattern.test(operatorId)) throw new OperatorRegistryError(source, `${at}.operatorId`, 'must be an identifier (A-Z a-z 0-9 . _ : -)');
  const taxpayerId = text(o.taxpayerId, source, `${at}.taxpayerId`, 18);
  if (!isUnifiedSocialCreditCode(taxpayerId)) {
    throw new OperatorRegistryError(source, `${at}.taxpayerId`, `${taxpayerId} is not a unified social credit code (18 characters, check character last)`);
  }
  const rates = record(o.vatRatesBp, source, `${at}.vatRatesBp`);
  const vatRatesBp: Partial<Record<Mode, number>> = {};
  for (const [mode, rate] of Object.entries(rates)) {
    if (!isMode(mode)) throw new OperatorRegistryError(source, `${at}.vatRatesBp.${mode}`, `not a mode (${modes.join(', ')})`);
    if (!Number.isSafeInteger(rate) || (rate as number) < 0 || (rate as number) > vatRateBpMax) {
      throw new OperatorRegistryError(source, `${at}.vatRatesBp.${mode}`, `must be an integer 0..${vatRateBpMax} (basis points: 900 = 9 %)`);
    }
    vatRatesBp[mode] = rate as number;
  }
  if (Object.keys(vatRatesBp).length === 0) throw new OperatorRegistryError(source, `${at}.vatRatesBp`, 'names no mode');
  return {
    operatorId,
    name: text(o.name, source, `${at}.name`, nameLengthMax),
    taxpayerId,
    address: text(o.address, source, `${at}.address`, nameLengthMax),
    vatRatesBp,
  };
}

function record(value: unknown, source: string, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new OperatorRegistryError(source, at, 'must be an object');
  return value as Record<string, unknown>;
}

function text(value: unknown, source: string, at: string, lengthMax: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > lengthMax || value.trim() !== value) {
    throw new OperatorRegistryError(source, at, `must be a string of 1..${lengthMax} characters without outer spaces`);
  }
  return value;
}
