import { createHash, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '@fareledger/domain';
import { fromZodError, invalidRequest, problem, readBodyLimited } from '@fareledger/runtime';
import { type Context, Hono } from 'hono';
import type { z } from 'zod';
import { deviceIdSchema, keyIdSchema, listDevicesQuerySchema, registerDeviceSchema } from './admin-schemas.js';
import {
  DeviceConflictError,
  DeviceNotFoundError,
  type DeviceRegistry,
  DeviceRegistryError,
  DeviceRevokedError,
  KeyLimitError,
  KeyNotFoundError,
} from './device-registry.js';
import { ingestProblemTypes } from './problem-types.js';

/** A device registration is a few hundred bytes. */
const adminBodyBytesMax = 16 * 1024;

export interface AdminRoutesOptions {
  readonly registry: DeviceRegistry;
  readonly adminToken: string;
}

/**
 * The admin API under `/v1/admin`: register devices, rotate, retire and revoke keys.
 * Bearer token auth; the comparison is of SHA-256 digests in constant time, so neither
 * the token's bytes nor its length leak through timing.
 */
export function adminRoutes(options: AdminRoutesOptions): Hono {
  const { registry } = options;
  const tokenDigest = sha256(options.adminToken);
  const app = new Hono();
  app.use('*', async (c, next) => {
    checkAdminToken(c, tokenDigest);
    await next();
  });
  app.post('/devices', async (c) => {
    const input = parse(registerDeviceSchema, await jsonBody(c));
    const registration = withRegistryErrors(() => registry.register(definedOnly(input)));
    c.header('Location', `/v1/admin/devices/${registration.device.deviceId}`);
    c.header('Cache-Control', 'no-store');
    return c.json(registration, 201);
  });
  app.get('/devices', (c) => {
    const query = parse(listDevicesQuerySchema, c.req.query());
    return c.json(withRegistryErrors(() => registry.list(definedOnly(query))));
  });
  app.get('/devices/:deviceId', (c) => {
    const deviceId = pathParam(deviceIdSchema, c.req.param('deviceId'), 'deviceId');
    return c.json(withRegistryErrors(() => registry.get(deviceId)));
  });
  app.post('/devices/:deviceId/keys', (c) => {
    const deviceId = pathParam(deviceIdSchema, c.req.param('deviceId'), 'deviceId');
    c.header('Cache-Control', 'no-store');
    return c.json(withRegistryErrors(() => registry.addKey(deviceId)), 201);
  });
  app.delete('/devices/:deviceId/keys/:keyId', (c) => {
    const deviceId = pathParam(deviceIdSchema, c.req.param('deviceId'), 'deviceId');
    const keyId = pathParam(keyIdSchema, c.req.param('keyId'), 'keyId');
    return c.json(withRegistryErrors(() => registry.retireKey(deviceId, keyId)));
  });
  app.post('/devices/:deviceId/revoke', (c) => {
    const deviceId = pathParam(deviceIdSchema, c.req.param('deviceId'), 'deviceId');
    return c.json(withRegistryErrors(() => registry.revoke(deviceId)));
  });
  return app;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function checkAdminToken(c: Context, tokenDigest: Buffer): void {
  const header = c.req.header('authorization');
  const challenge = { 'WWW-Authenticate': 'Bearer realm="fareledger-admin"' };
  if (header === undefined || !header.startsWith('Bearer ')) {
    throw problem('unauthenticated', 'The admin API needs an `Authorization: Bearer <admin token>` header.', { headers: challenge });
  }
  if (!timingSafeEqual(sha256(header.slice('Bearer '.length)), tokenDigest)) {
    throw problem('unauthenticated', 'The admin token is not valid.', { headers: challenge });
  }
}

async function jsonBody(c: Context): Promise<unknown> {
  const contentType = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw problem('unsupported-media-type', 'Send admin requests as application/json.', { headers: { Accept: 'application/json' } });
  }
  const body = await readBodyLimited(c, adminBodyBytesMax);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as unknown;
  } catch (error) {
    throw problem('malformed-body', `The body is not valid JSON: ${(error as Error).message}.`);
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZodError(result.error);
  return result.data;
}

function pathParam<S extends z.ZodType>(schema: S, value: string, name: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw problem('not-found', `No such ${name}: ${JSON.stringify(value.slice(0, 80))}.`);
  return result.data;
}

/** Drops undefined members: the registry's options are exact (exactOptionalPropertyTypes). */
function definedOnly<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

/** Registry errors are operating errors with a fixed answer each. */
function withRegistryErrors<T>(operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    if (error instanceof ValidationError) throw invalidRequest([{ pointer: `/${error.field}`, detail: error.message }]);
    if (!(error instanceof DeviceRegistryError)) throw error;
    if (error instanceof DeviceNotFoundError || error instanceof KeyNotFoundError) throw problem('not-found', `${error.message}.`);
    if (error instanceof DeviceConflictError || error instanceof DeviceRevokedError || error instanceof KeyLimitError) {
      throw problem(ingestProblemTypes['device-conflict'], `${error.message}.`, { extensions: { reason: error.code } });
    }
    throw error;
  }
}
