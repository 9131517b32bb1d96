import { describe, expect, it } from 'vitest';
import { withMalformedRequest } from './openapi.js';

describe('withMalformedRequest', () => {
  const problemRef = { $ref: '#/components/schemas/Problem' };
  const problemContent = { 'application/problem+json': { schema: problemRef } };

  it('documents 400 malformed-request on every operation, adding to a 400 already there', () => {
    const paths = {
      '/healthz': { get: { summary: 'alive', responses: { '200': { description: 'Alive.' } } } },
      '/v1/taps': {
        parameters: [{ name: 'x', in: 'query' }],
        post: { responses: { '202': { description: 'Durable.' }, '400': { description: '`/problems/invalid-request`: Invalid request.', content: problemContent } } },
      },
    };
    expect(withMalformedRequest(paths, problemRef)).toEqual({
      '/healthz': { get: { summary: 'alive', responses: { '200': { description: 'Alive.' }, '400': { description: '`/problems/malformed-request`: Malformed HTTP request.', content: problemContent } } } },
      '/v1/taps': {
        parameters: [{ name: 'x', in: 'query' }],
        post: { responses: { '202': { description: 'Durable.' }, '400': { description: '`/problems/invalid-request`: Invalid request. `/problems/malformed-request`: Malformed HTTP request.', content: problemContent } } },
      },
    });
    expect(paths['/healthz'].get.responses).toEqual({ '200': { description: 'Alive.' } }); // the input is left as it was
  });
});
