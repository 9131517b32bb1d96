import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { readBodyLimited } from './body.js';
import { fromZodError, problem } from './problem.js';

// Request helpers every service's routes share: bearer tokens, JSON bodies, zod checks of
// bodies, queries and path parameters, each failing with its problem+json.

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization');
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
}

/**
 * Middleware: the request must carry this one admin token. Compared as SHA-256 digests in
 * constant time, so neither the token's bytes nor its length leak through timing.
 */
export function requireAdminToken(adminToken: string, realm: string): MiddlewareHandler {
  const digest = sha256(adminToken);
  const challenge = { 'WWW-Authenticate': `Bearer realm="${realm}"` };
  return async (c, next) => {
    const token = bearerToken(c);
    if (token === undefined) throw problem('unauthenticated', 'The admin API needs an `Authorization: Bearer <admin token>` header.', { headers: challenge });
    if (!timingSafeEqual(sha256(token), digest)) throw problem('unauthenticated', 'The admin token is not valid.', { headers: challenge });
    await next();
  };
}

/** The body as JSON: 415 unless it is application/json, 413 past bytesMax, 400 malformed-body unless it parses. */
export async function readJsonBody(c: Context, bytesMax: number): Promise<unknown> {
  const contentType = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw problem('unsupported-media-type', 'Send the body as application/json.', { headers: { Accept: 'application/json' } });
  }
  const body = await readBodyLimited(c, bytesMax);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as unknown;
  } catch (error) {
    throw problem('malformed-body', `The body is not valid JSON: ${(error as Error).message}.`);
  }
}

/** Checks a body or query with a zod schema: 400 invalid-request naming every bad value. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZodError(result.error);
  return result.data;
}

/** A path parameter that fails its schema names nothing that exists: 404. */
export function pathParam<S extends z.ZodType>(schema: S, value: string, name: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw problem('not-found', `No such ${name}: ${JSON.stringify(value.slice(0, 80))}.`);
  return result.data;
}

/** Drops undefined members, for options typed with exactOptionalPropertyTypes. */
export function definedOnly<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
