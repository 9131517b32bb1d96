import { z } from 'zod';
import { genericProblemTypes, type ProblemType, problemTypeUri } from './problem.js';

// Pieces of a service's OpenAPI 3.1 document that every service builds the same way.

export type JsonObject = Record<string, unknown>;

/** JSON Schema 2020-12 (which OpenAPI 3.1 uses as is) of zod schemas, referring to each other as #/components/schemas/<id>. */
export function openApiComponents<N extends string>(schemas: Readonly<Record<N, z.ZodType>>): Record<N, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries<z.ZodType>(schemas)) registry.add(schema, { id });
  const { schemas: generated } = z.toJSONSchema(registry, { target: 'draft-2020-12', io: 'input', uri: (id) => `#/components/schemas/${id}` });
  const out: Record<string, JsonObject> = {};
  for (const [id, schema] of Object.entries(generated)) {
    const { $schema: _schema, $id: _id, ...rest } = schema as JsonObject;
    out[id] = rest;
  }
  return out as Record<N, JsonObject>;
}

/**
 * A function giving the responses of an operation from the problem types it can answer
 * with: one response per status, listing its types (each documented at its URI).
 */
export function problemResponsesOf<S extends string>(types: Readonly<Record<S, ProblemType>>, problemRef: JsonObject) {
  return (slugs: readonly S[]): JsonObject => {
    const byStatus = new Map<number, S[]>();
    for (const slug of slugs) {
      const { status } = types[slug];
      byStatus.set(status, [...(byStatus.get(status) ?? []), slug]);
    }
    const responses: JsonObject = {};
    for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
      const lines = group.map((slug) => `\`${problemTypeUri({ slug })}\`: ${types[slug].title}.`);
      responses[String(status)] = { description: lines.join(' '), content: { 'application/problem+json': { schema: problemRef } } };
    }
    return responses;
  };
}

const httpMethods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * `paths` with 400 `malformed-request` documented on every operation: a request that is not
 * valid HTTP is refused by the server (http.ts) before any route sees it, whatever the route.
 * An operation that already answers 400 gets the type added to that response's description.
 */
export function withMalformedRequest<P extends Readonly<Record<string, Readonly<Record<string, unknown>>>>>(paths: P, problemRef: JsonObject): P {
  const line = `\`${problemTypeUri({ slug: 'malformed-request' })}\`: ${genericProblemTypes['malformed-request'].title}.`;
  const out: Record<string, Record<string, unknown>> = {};
  for (const [path, item] of Object.entries(paths)) {
    out[path] = Object.fromEntries(Object.entries(item).map(([method, operation]) => {
      if (!httpMethods.has(method)) return [method, operation];
      const { responses = {}, ...rest } = operation as { responses?: Record<string, JsonObject> };
      const existing = responses['400'];
      const answer400 = existing === undefined
        ? { description: line, content: { 'application/problem+json': { schema: problemRef } } }
        : { ...existing, description: `${String(existing['description'])} ${line}` };
      return [method, { ...rest, responses: { ...responses, '400': answer400 } }];
    }));
  }
  return out as P;
}
