import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AssertionError } from '@fareledger/domain';
import {
  defineProblemTypes,
  fromZodError,
  genericProblemTypes,
  invalidRequest,
  jsonPointer,
  Problem,
  problem,
  problemSchema,
  problemTypeUri,
} from './problem.js';

describe('problem types', () => {
  it('ships the generic types with their statuses', () => {
    expect(Object.values(genericProblemTypes).map((type) => [type.slug, type.status])).toEqual([
      ['invalid-request', 400],
      ['malformed-body', 400],
      ['malformed-request', 400],
      ['unauthenticated', 401],
      ['forbidden', 403],
      ['not-found', 404],
      ['method-not-allowed', 405],
      ['request-timeout', 408],
      ['payload-too-large', 413],
      ['unsupported-media-type', 415],
      ['too-many-requests', 429],
      ['headers-too-large', 431],
      ['unavailable', 503],
      ['internal', 500],
    ]);
    expect(Object.isFrozen(genericProblemTypes)).toBe(true);
    expect(Object.isFrozen(genericProblemTypes.internal)).toBe(true);
  });

  it('lets a service define its own', () => {
    const types = defineProblemTypes({ 'duplicate-batch': { status: 409, title: 'Duplicate batch', description: 'Sent twice.' } });
    expect(types['duplicate-batch']).toEqual({ slug: 'duplicate-batch', status: 409, title: 'Duplicate batch', description: 'Sent twice.' });
    expect(problemTypeUri(types['duplicate-batch'])).toBe('/problems/duplicate-batch');
  });

  it.each([
    ['a generic slug', { 'not-found': { status: 404, title: 't', description: 'd' } }],
    ['a slug that is not kebab-case', { Bad_Slug: { status: 400, title: 't', description: 'd' } }],
    ['a 2xx status', { fine: { status: 200, title: 't', description: 'd' } }],
    ['an empty description', { empty: { status: 400, title: 't', description: '' } }],
  ])('asserts on %s', (_name, definitions) => {
    expect(() => defineProblemTypes(definitions)).toThrow(AssertionError);
  });
});

describe('Problem', () => {
  it('carries type, status, title, detail, extensions and headers', () => {
    const failure = problem('too-many-requests', 'At most 50 requests per second per device.', {
      headers: { 'retry-after': '2' },
      extensions: { limitPerSecond: 50 },
      instance: '/v1/taps#r1',
    });
    expect(failure).toBeInstanceOf(Problem);
    expect(failure).toBeInstanceOf(Error);
    expect([failure.slug, failure.type, failure.status, failure.title, failure.message]).toEqual([
      'too-many-requests',
      '/problems/too-many-requests',
      429,
      'Too many requests',
      'At most 50 requests per second per device.',
    ]);
    expect(failure.headers).toEqual({ 'retry-after': '2' });
    expect(failure.body()).toEqual({
      type: '/problems/too-many-requests',
      title: 'Too many requests',
      status: 429,
      detail: 'At most 50 requests per second per device.',
      instance: '/v1/taps#r1',
      limitPerSecond: 50,
    });
    expect(Object.keys(failure.body())).toEqual(['type', 'title', 'status', 'detail', 'instance', 'limitPerSecond']);
  });

  it('takes a service type as well as a generic slug', () => {
    const { conflict } = defineProblemTypes({ conflict: { status: 409, title: 'Conflict', description: 'd' } });
    expect(problem(conflict, 'x').body()).toEqual({ type: '/problems/conflict', title: 'Conflict', status: 409, detail: 'x' });
  });

  it('asserts that extensions do not replace standard members', () => {
    expect(() => problem('internal', 'x', { extensions: { status: 200 } })).toThrow(AssertionError);
  });
});

describe('jsonPointer', () => {
  it.each([
    [[], '', ''],
    [['taps', 3, 'eventTime'], '', '/taps/3/eventTime'],
    [['a/b', 'm~n', '~1'], '', '/a~1b/m~0n/~01'],
    [[''], '', '/'],
    [['eventTime'], '/taps/7', '/taps/7/eventTime'],
  ])('%j with prefix %j is %j', (path, prefix, pointer) => {
    expect(jsonPointer(path, prefix)).toBe(pointer);
  });

  it('asserts that a prefix is a pointer', () => {
    expect(() => jsonPointer([], 'taps')).toThrow(AssertionError);
  });
});

describe('invalidRequest, fromZodError', () => {
  it('lists the errors', () => {
    const failure = invalidRequest([{ pointer: '/taps/3/eventTime', detail: 'Must be an integer' }]);
    expect(failure.body()).toEqual({
      type: '/problems/invalid-request',
      title: 'Invalid request',
      status: 400,
      detail: 'The request has 1 invalid value, at /taps/3/eventTime: see errors.',
      errors: [{ pointer: '/taps/3/eventTime', detail: 'Must be an integer' }],
    });
    expect(invalidRequest([{ pointer: '', detail: 'Expected an object' }]).detail).toBe('The request has 1 invalid value, at the root: see errors.');
    expect(() => invalidRequest([])).toThrow(AssertionError);
  });

  const tap = z.strictObject({ tapId: z.string().min(1), eventTime: z.int(), mode: z.enum(['metro', 'bus']) });
  const body = z.strictObject({ taps: z.array(tap).max(3) });
  const input = {
    taps: [
      { tapId: 'a', eventTime: 1, mode: 'bus' },
      { tapId: '', eventTime: 1.5, mode: 'car', 'x/y': 1, 'a~b': 2 },
    ],
    extra: true,
  };

  it('turns every zod issue into one entry, in a stable order', () => {
    const result = body.safeParse(input);
    expect(result.success).toBe(false);
    const failure = fromZodError(result.error as z.ZodError);
    expect(failure.status).toBe(400);
    expect(failure.detail).toBe('The request has 6 invalid values: see errors.');
    expect(failure.extensions['errors']).toEqual([
      { pointer: '/taps/1/tapId', detail: 'Too small: expected string to have >=1 characters' },
      { pointer: '/taps/1/eventTime', detail: 'Invalid input: expected int, received number' },
      { pointer: '/taps/1/mode', detail: 'Invalid option: expected one of "metro"|"bus"' },
      { pointer: '/taps/1/x~1y', detail: 'Unknown field' },
      { pointer: '/taps/1/a~0b', detail: 'Unknown field' },
      { pointer: '/extra', detail: 'Unknown field' },
    ]);
    expect(fromZodError(body.safeParse(input).error as z.ZodError).body()).toEqual(failure.body());
  });

  it('prefixes pointers when one part of a body was validated on its own', () => {
    const result = tap.safeParse({ tapId: 'a', eventTime: 'x', mode: 'bus' });
    expect(fromZodError(result.error as z.ZodError, { pointerPrefix: '/taps/4' }).extensions['errors']).toEqual([
      { pointer: '/taps/4/eventTime', detail: 'Invalid input: expected number, received string' },
    ]);
  });
});

describe('problemSchema', () => {
  it('accepts every body a Problem makes', () => {
    const bodies = [
      problem('internal', 'x').body(),
      problem('unavailable', 'y', { extensions: { checks: { kafka: { status: 'down' } } } }).body(),
      invalidRequest([{ pointer: '/a', detail: 'b' }]).body(),
    ];
    for (const body of bodies) expect(problemSchema.parse(body)).toEqual(body);
  });

  it.each([
    [{ type: '/problems/x', title: 't', status: 200, detail: 'd' }],
    [{ type: '/problems/x', title: 't', status: 400 }],
    [{ type: '/problems/x', title: 't', status: 400, detail: 'd', errors: [{ pointer: 1, detail: 'd' }] }],
  ])('rejects %j', (body) => {
    expect(problemSchema.safeParse(body).success).toBe(false);
  });

  it('converts to JSON Schema for OpenAPI documents', () => {
    const schema = z.toJSONSchema(problemSchema) as { required: string[]; additionalProperties: unknown };
    expect(schema.required).toEqual(['type', 'title', 'status', 'detail']);
    expect(schema.additionalProperties).toEqual({});
  });
});
