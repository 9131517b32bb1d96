import { describe, expect, it } from 'vitest';
import { adjustmentRequestSchema, issueTokenSchema } from './schemas.js';

const refund = { adjustmentId: 'adj-1', tripId: 'bv-0457/88412', kind: 'refund', amountFen: 100, reason: 'Charged twice', authorizedBy: 'admin-7' };

/** The paths and messages of a refused value, or 'ok'. */
function outcome(schema: typeof adjustmentRequestSchema | typeof issueTokenSchema, value: unknown) {
  const parsed = schema.safeParse(value);
  return parsed.success ? 'ok' : parsed.error.issues.map((issue) => [issue.path.join('/'), issue.message]);
}

describe('adjustmentRequestSchema', () => {
  it.each([
    ['NUL', 'a\u0000b'],
    ['CR LF', 'refund\r\nSet-Cookie: x=1'],
    ['an escape sequence', '\u001b[31mred'],
    ['a right-to-left override', 'refund\u202Efdp.exe'],
    ['a zero-width space', 're\u200Bfund'],
  ])('refuses a reason with %s, which the ledger entry would refuse', (_name, reason) => {
    expect(outcome(adjustmentRequestSchema, { ...refund, reason })).toEqual([['reason', 'reason must not contain control or format characters']]);
  });

  it('names one fault of an overlong reason', () => {
    expect(outcome(adjustmentRequestSchema, { ...refund, reason: '\u0000'.repeat(201) })).toEqual([['reason', 'Too big: expected string to have <=200 characters']]);
  });

  it('takes HTML, quotes and any script in a reason as the free text they are', () => {
    expect(outcome(adjustmentRequestSchema, { ...refund, reason: '"><img src=x onerror=alert(1)> \' OR 1=1 -- 退款 🚇' })).toBe('ok');
  });
});

describe('issueTokenSchema', () => {
  it.each(['4111111111111111', '4111-1111-1111-1111', '6212345678901234569'])('refuses a wallet token for the card number %s', (account) => {
    expect(outcome(issueTokenSchema, { role: 'wallet', account })).toEqual([['account', 'looks like a payment card number; accounts are wallet tokens, never card data']]);
  });

  it('issues one for a wallet account token, and for a number that fails the Luhn check', () => {
    expect([outcome(issueTokenSchema, { role: 'wallet', account: 'wa_7Hq2xK9p' }), outcome(issueTokenSchema, { role: 'wallet', account: '4111111111111112' })]).toEqual(['ok', 'ok']);
  });
});
