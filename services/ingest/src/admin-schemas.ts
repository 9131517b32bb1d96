import { modes } from '@fareledger/domain';
import { z } from 'zod';
import { activeKeysPerDeviceMax, deviceStatuses, labelLengthMax, listLimitMax } from './device-registry.js';

// The admin API's bodies and answers, as zod schemas: they validate requests and are the
// OpenAPI document's components (openapi.ts), so the two cannot drift apart.

const idSchema = (what: string, example: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,64}$/, { error: `${what} must be 1 to 64 characters of A-Z a-z 0-9 . _ : -` })
    .meta({ description: `${what}: 1 to 64 characters of \`A-Z a-z 0-9 . _ : -\`.`, examples: [example] });

export const deviceIdSchema = idSchema('Device id, unique for ever (never reused, revoked ones included)', 'SZM-L1-LUOHU-G07');
export const keyIdSchema = idSchema('Key id, assigned by the registry (`k1`, `k2`, ...)', 'k1');

export const registerDeviceSchema = z
  .strictObject({
    deviceId: deviceIdSchema,
    operatorId: idSchema('Operator the device belongs to; every tap it posts must carry this operatorId', 'SZMC'),
    mode: z.enum(modes).meta({ description: 'The only mode of tap the device may post.', examples: ['metro'] }),
    label: z.string().min(1).max(labelLengthMax).optional().meta({ description: `Free text for people (where the device is), at most ${labelLengthMax} characters.`, examples: ['Luohu station, gate 7'] }),
  })
  .meta({ description: 'A device to register. Its first key (`k1`) is created and returned once.' });

export const deviceSchema = z
  .object({
    deviceId: z.string(),
    operatorId: z.string(),
    mode: z.enum(modes),
    label: z.string().nullable(),
    status: z.enum(deviceStatuses as ['active', 'revoked']).meta({ description: '`revoked` devices are refused (403) for ever.' }),
    createdAtMs: z.int().meta({ description: 'Registration time, ms since the Unix epoch.' }),
    revokedAtMs: z.int().nullable(),
  })
  .meta({ description: 'A registered device. Secrets are never shown after they are issued.' });

export const deviceKeySchema = z
  .object({ keyId: z.string(), createdAtMs: z.int(), retiredAtMs: z.int().nullable() })
  .meta({ description: 'A key of a device (metadata only).' });

export const deviceDetailsSchema = deviceSchema
  .extend({ keys: z.array(deviceKeySchema).meta({ description: 'Every key the device ever had, oldest first.' }) })
  ;

const secretSchema = z.string().meta({
  description: 'The 32-byte HMAC secret, base64url without padding. Shown this once: load it into the device now.',
  examples: ['q8Jr0S1ZqJ6lA3bY2m7uB5o1wZ0cVn4e9fT6hK2dXy8'],
});

export const issuedKeySchema = z
  .object({ keyId: z.string(), secret: secretSchema })
  .meta({ description: `A new key. Old keys keep working until retired; at most ${activeKeysPerDeviceMax} active keys per device.` });

export const registrationSchema = z
  .object({ device: deviceSchema, keyId: z.string(), secret: secretSchema })
  .meta({ description: 'The registered device and its first key.' });

export const devicePageSchema = z
  .object({
    devices: z.array(deviceSchema),
    next: z.string().nullable().meta({ description: 'Pass as `after` for the next page; null on the last page.' }),
  })
  ;

export const listDevicesQuerySchema = z.strictObject({
  operatorId: idSchema('Only devices of this operator', 'SZMC').optional(),
  status: z.enum(deviceStatuses as ['active', 'revoked']).optional().meta({ description: 'Only devices in this state.' }),
  limit: z.coerce.number().int().min(1).max(listLimitMax).default(100).meta({ description: `Page size, 1 to ${listLimitMax}.` }),
  after: deviceIdSchema.optional().meta({ description: 'The previous page\'s `next`.' }),
});
