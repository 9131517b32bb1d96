import { bearerToken, problem } from '@fareledger/runtime';
import type { Context, MiddlewareHandler } from 'hono';
import type { AccessRegistry, Principal, Role } from './access-registry.js';

// The wallet and audit doors authenticate by bearer token (access-registry.ts). A wallet
// token reads its own account only; an auditor token reads everything but is not a wallet.

const challenge = { 'WWW-Authenticate': 'Bearer realm="fareledger"' };

/** Middleware: a valid token of one of `roles`, stored as c.get('principal'). */
export function requireToken(access: AccessRegistry, roles: readonly Role[]): MiddlewareHandler<{ Variables: { principal: Principal } }> {
  return async (c, next) => {
    const token = bearerToken(c);
    if (token === undefined) throw problem('unauthenticated', 'This door needs an `Authorization: Bearer <token>` header with a wallet or auditor token.', { headers: challenge });
    const principal = access.authenticate(token);
    if (principal === undefined) throw problem('unauthenticated', 'The token is not valid (unknown, malformed or revoked).', { headers: challenge });
    if (!roles.includes(principal.role)) throw problem('forbidden', `A ${principal.role} token cannot use this door; it needs a ${roles.join(' or ')} token.`);
    c.set('principal', principal);
    await next();
  };
}

/** Whether the principal may read what belongs to `account`. */
export function mayRead(principal: Principal, account: string): boolean {
  return principal.role === 'auditor' || principal.account === account;
}

export function principalOf(c: Context): Principal {
  return c.get('principal') as Principal;
}
