import { describe, expect, it } from 'vitest';
import { OperatorRegistryError } from './errors.js';
import { loadSzmOperators } from './node-data.js';
import { isUnifiedSocialCreditCode, parseOperatorRegistry } from './operators.js';

const good = { operatorId: 'szmc', name: 'Shenzhen Metro', taxpayerId: '91440300192175051X', address: 'Futian', vatRatesBp: { metro: 900 } };

describe('operator registry', () => {
  it('loads the shipped registry: every operator the example taps name', () => {
    const registry = loadSzmOperators();
    expect(registry.operators.map((o) => o.operatorId)).toEqual(['szmc', 'szbus', 'sztaxi']);
    expect(registry.operator('szmc')?.vatRatesBp).toEqual({ metro: 900 });
    expect(registry.operator('sztaxi')?.vatRatesBp).toEqual({ taxi: 300 });
    expect(registry.operator('nobody')).toBeUndefined();
  });

  it('checks unified social credit codes (GB 32100-2015 check character)', () => {
    expect(isUnifiedSocialCreditCode('91440300192175051X')).toBe(true);
    expect(isUnifiedSocialCreditCode('91350100M000100Y43')).toBe(true); // a published example
    expect(isUnifiedSocialCreditCode('91440300192175051Y')).toBe(false);
    expect(isUnifiedSocialCreditCode('9144030019217505IX')).toBe(false); // I is not in the charset
    expect(isUnifiedSocialCreditCode('91440300192175051')).toBe(false);
  });

  it.each([
    [{ registry: 'x', operators: [] }, 'operators'],
    [{ registry: 'x', operators: [{ ...good, taxpayerId: '91440300192175051Y' }] }, 'operators[0].taxpayerId'],
    [{ registry: 'x', operators: [{ ...good, vatRatesBp: { ferry: 900 } }] }, 'operators[0].vatRatesBp.ferry'],
    [{ registry: 'x', operators: [{ ...good, vatRatesBp: { metro: 9.5 } }] }, 'operators[0].vatRatesBp.metro'],
    [{ registry: 'x', operators: [{ ...good, vatRatesBp: {} }] }, 'operators[0].vatRatesBp'],
    [{ registry: 'x', operators: [good, good] }, 'operators[1].operatorId'],
    [{ registry: 'x', operators: [{ ...good, name: ' padded' }] }, 'operators[0].name'],
    [{ registry: 'x', operators: [{ ...good, operatorId: 'a b' }] }, 'operators[0].operatorId'],
  ])('refuses a bad file, naming the field', (json, field) => {
    let error: unknown;
    try {
      parseOperatorRegistry(json, 'ops.json');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OperatorRegistryError);
    expect((error as OperatorRegistryError).field).toBe(field);
  });
});
