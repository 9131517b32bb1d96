import { ValidationError } from '@fareledger/domain';
import { definedOnly, invalidRequest, parseRequest as parse, pathParam, problem, readJsonBody, requireAdminToken } from '@fareledger/runtime';
import { Hono } from 'hono';
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
  const app = new Hono();
  app.use('*', requireAdminToken(options.adminToken, 'fareledger-admin'));
  app.post('/devices', async (c) => {
    const input = parse(registerDeviceSchema, await readJsonBody(c, adminBodyBytesMax));
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
