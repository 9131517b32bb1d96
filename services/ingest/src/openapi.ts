import { tapAcceptedSchema, tapBatchSchema, tapInputSchema, tapRequestSchema } from '@fareledger/domain/tap-schema';
import { authorizationScheme } from '@fareledger/device-auth';
import { genericProblemTypes, type JsonObject, openApiComponents, problemResponsesOf, problemSchema, withMalformedRequest } from '@fareledger/runtime';
import {
  deviceDetailsSchema,
  deviceKeySchema,
  devicePageSchema,
  deviceSchema,
  issuedKeySchema,
  registerDeviceSchema,
  registrationSchema,
} from './admin-schemas.js';
import { mediaTypes } from './media-type.js';
import { ingestProblemTypes } from './problem-types.js';

/** What the document says about limits, so it states this deployment's real numbers. */
export interface OpenApiLimits {
  readonly batchTapsMax: number;
  readonly bodyBytesMax: number;
  readonly signatureSkewMsMax: number;
}

const componentSchemas = {
  TapInput: tapInputSchema,
  TapBatch: tapBatchSchema,
  TapRequest: tapRequestSchema,
  TapAccepted: tapAcceptedSchema,
  Problem: problemSchema,
  RegisterDevice: registerDeviceSchema,
  Device: deviceSchema,
  DeviceKey: deviceKeySchema,
  DeviceDetails: deviceDetailsSchema,
  DevicePage: devicePageSchema,
  IssuedKey: issuedKeySchema,
  Registration: registrationSchema,
} as const;

type ComponentName = keyof typeof componentSchemas;

const components = (): Record<ComponentName, JsonObject> => openApiComponents(componentSchemas);

const ref = (name: ComponentName) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: ComponentName) => ({ 'application/json': { schema: ref(name) } });

const allProblemTypes = { ...genericProblemTypes, ...ingestProblemTypes };
type ProblemSlug = keyof typeof allProblemTypes;

const problemResponses = problemResponsesOf(allProblemTypes, ref('Problem'));

const adminSecurity = [{ adminToken: [] }];
const adminProblems: ProblemSlug[] = ['unauthenticated', 'internal'];
const pathDeviceId = { name: 'deviceId', in: 'path', required: true, schema: { type: 'string' }, description: 'The device id.' };

/** The OpenAPI 3.1 document served at /openapi.json. */
export function ingestOpenApi(limits: OpenApiLimits): JsonObject {
  const tapBody = { schema: ref('TapRequest') };
  return {
    openapi: '3.1.1',
    info: {
      title: 'Fareledger ingest',
      version: '1',
      description:
        'The device door of Fareledger. Metro gates, bus validators and taxi POS terminals post fare taps here. A `202` means ' +
        'every tap of the request is durable in the tap log and will be priced, sealed into the ledger and invoiced. Errors are ' +
        'RFC 9457 problem details; each `type` is a page under `/problems/`.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'taps', description: 'For devices: signed taps.' },
      { name: 'admin', description: 'For the operator: register devices and manage their keys.' },
      { name: 'operations', description: 'Health, readiness and metrics.' },
    ],
    // Every operation: a request that is not valid HTTP is refused before any route (shared/runtime http.ts).
    paths: withMalformedRequest({
      '/v1/taps': { post: postTaps(limits, tapBody) },
      '/v1/admin/devices': {
        post: {
          tags: ['admin'], summary: 'Register a device', security: adminSecurity,
          requestBody: { required: true, content: json('RegisterDevice') },
          responses: { '201': { description: 'Registered. The secret is in this answer only.', content: json('Registration') }, ...problemResponses(['invalid-request', 'malformed-body', 'device-conflict', 'unsupported-media-type', ...adminProblems]) },
        },
        get: {
          tags: ['admin'], summary: 'List devices (no secrets)', security: adminSecurity,
          parameters: [
            { name: 'operatorId', in: 'query', schema: { type: 'string' } },
            { name: 'status', in: 'query', schema: { type: 'string', enum: ['active', 'revoked'] } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
            { name: 'after', in: 'query', schema: { type: 'string' }, description: 'The previous page\'s `next`.' },
          ],
          responses: { '200': { description: 'A page of devices, by id.', content: json('DevicePage') }, ...problemResponses(['invalid-request', ...adminProblems]) },
        },
      },
      '/v1/admin/devices/{deviceId}': {
        get: {
          tags: ['admin'], summary: 'One device and its keys (no secrets)', security: adminSecurity, parameters: [pathDeviceId],
          responses: { '200': { description: 'The device.', content: json('DeviceDetails') }, ...problemResponses(['not-found', ...adminProblems]) },
        },
      },
      '/v1/admin/devices/{deviceId}/keys': {
        post: {
          tags: ['admin'], summary: 'Add a key (rotation): old keys keep working until retired', security: adminSecurity, parameters: [pathDeviceId],
          responses: { '201': { description: 'The new key. The secret is in this answer only.', content: json('IssuedKey') }, ...problemResponses(['not-found', 'device-conflict', ...adminProblems]) },
        },
      },
      '/v1/admin/devices/{deviceId}/keys/{keyId}': {
        delete: {
          tags: ['admin'], summary: 'Retire a key: requests signed with it are refused from now on', security: adminSecurity,
          parameters: [pathDeviceId, { name: 'keyId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'The retired key.', content: json('DeviceKey') }, ...problemResponses(['not-found', 'device-conflict', ...adminProblems]) },
        },
      },
      '/v1/admin/devices/{deviceId}/revoke': {
        post: {
          tags: ['admin'], summary: 'Revoke a device for ever: all its keys stop working at once', security: adminSecurity, parameters: [pathDeviceId],
          responses: { '200': { description: 'The revoked device.', content: json('Device') }, ...problemResponses(['not-found', ...adminProblems]) },
        },
      },
      '/healthz': { get: { tags: ['operations'], summary: 'Liveness: 200 while the process runs', responses: { '200': { description: 'Alive.' } } } },
      '/readyz': {
        get: {
          tags: ['operations'], summary: 'Readiness: the tap log is reachable and the service is not shutting down',
          responses: { '200': { description: 'Ready.' }, ...problemResponses(['unavailable']) },
        },
      },
      '/metrics': { get: { tags: ['operations'], summary: 'Prometheus metrics', responses: { '200': { description: 'Text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    }, ref('Problem')),
    components: {
      schemas: components(),
      securitySchemes: {
        deviceSignature: {
          type: 'apiKey', in: 'header', name: 'Authorization',
          description:
            `\`${authorizationScheme} Credential=<deviceId>/<keyId>, Timestamp=<unix ms>, Signature=<base64url>\`: HMAC-SHA256 with the ` +
            `device's secret over the method, the request target, the timestamp and the SHA-256 of the body (docs/security.md has the ` +
            `exact string to sign and a test vector). The timestamp must be within ${limits.signatureSkewMsMax / 1000} s of the server ` +
            'clock, and each signature is accepted once: sign every attempt afresh.',
        },
        adminToken: { type: 'http', scheme: 'bearer', description: 'The admin token (INGEST_ADMIN_TOKEN).' },
      },
    },
  };
}

function postTaps(limits: OpenApiLimits, tapBody: JsonObject): JsonObject {
  const content: JsonObject = {};
  for (const type of [mediaTypes.json[0], mediaTypes.msgpack[0]]) content[type as string] = tapBody;
  return {
    tags: ['taps'],
    summary: 'Post one tap or a batch',
    description:
      `One tap, or \`{"taps": [...]}\` with at most ${limits.batchTapsMax} taps; a body of at most ${limits.bodyBytesMax} bytes, as ` +
      'JSON or msgpack (the same fields). All or nothing: one bad tap refuses the whole request, and `202` means every tap is durable. ' +
      'A tap retried with the same `tapId` (after a timeout or a `503`) is counted once. Every tap must carry the `deviceId`, ' +
      '`operatorId` and `mode` the signing device is registered with.',
    security: [{ deviceSignature: [] }],
    requestBody: { required: true, content },
    responses: {
      '202': { description: 'Every tap of the request is durable.', content: json('TapAccepted') },
      ...problemResponses([
        'invalid-request', 'malformed-body', 'unauthenticated', 'forbidden', 'payload-too-large', 'batch-too-large',
        'unsupported-media-type', 'tap-log-overloaded', 'internal', 'tap-log-unavailable', 'replay-window-full',
      ]),
    },
  };
}
