import { z } from 'zod';
import { assert } from '@fareledger/domain';

/**
 * One kind of RFC 9457 problem. The `type` URI a client sees is `/problems/<slug>`: a
 * relative reference, so it resolves against whichever service answered, and every service
 * serves the page there (see problem-docs.ts).
 */
export interface ProblemType {
  readonly slug: string;
  readonly status: number;
  readonly title: string;
  /** One paragraph for the docs page: when it happens, and what the client should do. */
  readonly description: string;
}

export type ProblemTypeDefinition = Omit<ProblemType, 'slug'>;

export type ProblemTypes<D extends Readonly<Record<string, ProblemTypeDefinition>>> = {
  readonly [K in keyof D & string]: ProblemType & { readonly slug: K; readonly status: D[K]['status'] };
};

const slugPattern = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

function define<const D extends Readonly<Record<string, ProblemTypeDefinition>>>(definitions: D): ProblemTypes<D> {
  const types: Record<string, ProblemType> = {};
  for (const [slug, { status, title, description }] of Object.entries(definitions)) {
    assert(slugPattern.test(slug), `problem type slug ${JSON.stringify(slug)} must be kebab-case`);
    assert(Number.isInteger(status) && status >= 400 && status <= 599, `problem type ${slug}: status ${status} is not 4xx/5xx`);
    assert(title.length > 0 && description.length > 0, `problem type ${slug}: title and description are required`);
    types[slug] = Object.freeze({ slug, status, title, description });
  }
  return Object.freeze(types) as ProblemTypes<D>;
}

/** The problem types every service can answer with. Services add theirs with `defineProblemTypes`. */
export const genericProblemTypes = define({
  'invalid-request': {
    status: 400,
    title: 'Invalid request',
    description:
      'The request was well-formed but one or more values broke the rules of this endpoint. The `errors` member lists every ' +
      'offending value as a JSON Pointer into the request (`pointer`) with the reason (`detail`). Fix each listed value and ' +
      'send the request again; nothing of a rejected request was accepted, so a corrected retry is safe.',
  },
  'malformed-body': {
    status: 400,
    title: 'Malformed request body',
    description:
      'The request body could not be parsed at all (for example, it is not valid JSON, or it is truncated). Nothing was ' +
      'accepted. Check the encoding your client produces, then send the request again.',
  },
  'malformed-request': {
    status: 400,
    title: 'Malformed HTTP request',
    description:
      'The request is not valid HTTP/1.1 (a header line that cannot be parsed, a `Content-Length` that is not a number), ' +
      'so the server refused it before any route saw it, and closed the connection. Nothing was accepted. Fix the client ' +
      'or the proxy that built the request, then send it again.',
  },
  unauthenticated: {
    status: 401,
    title: 'Authentication required',
    description:
      'The request carried no credentials, or credentials that could not be verified (unknown key, bad signature, expired ' +
      'timestamp). The `WWW-Authenticate` header names the scheme expected. Do not retry unchanged: fix the credentials first.',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    description:
      'The credentials were valid but do not allow this operation or this resource (for example, a wallet asking for another ' +
      "account's trips). Retrying will not help; use credentials with the right role.",
  },
  'not-found': {
    status: 404,
    title: 'Not found',
    description:
      'No resource exists at this URL, or no route matches the path. Check the path against the API document; for a resource ' +
      'that is created asynchronously (an invoice after a trip is sealed), retry later.',
  },
  'method-not-allowed': {
    status: 405,
    title: 'Method not allowed',
    description:
      'The path exists but does not accept this HTTP method. The `Allow` header lists the methods it accepts.',
  },
  'request-timeout': {
    status: 408,
    title: 'Request timeout',
    description:
      'The client did not send the whole request in time: its headers must arrive within the headers timeout, and the ' +
      'whole request within the request timeout (`detail` gives both). The server closed the connection. Nothing of the ' +
      'request was accepted. Check the link, then send the request again on a new connection, re-signed.',
  },
  'payload-too-large': {
    status: 413,
    title: 'Payload too large',
    description:
      'The request body is larger than this endpoint accepts (the API document gives each limit). Nothing was accepted. ' +
      'Split the content into smaller requests (for taps: fewer taps per batch) and send them again.',
  },
  'unsupported-media-type': {
    status: 415,
    title: 'Unsupported media type',
    description:
      'The `Content-Type` of the request is not one this endpoint reads; `detail` names the accepted types. Send the body ' +
      'with one of them.',
  },
  'too-many-requests': {
    status: 429,
    title: 'Too many requests',
    description:
      'The client sent more requests than it is allowed to in a period. Wait for the number of seconds in the ' +
      '`Retry-After` header before sending again, and slow down.',
  },
  'headers-too-large': {
    status: 431,
    title: 'Request headers too large',
    description:
      'The request line and headers together are larger than the server reads (16 KiB), so the server refused the request ' +
      'before any route saw it, and closed the connection. Nothing was accepted. Send a shorter URL (fewer or shorter query ' +
      'parameters) or fewer headers.',
  },
  unavailable: {
    status: 503,
    title: 'Service unavailable',
    description:
      'The service cannot take the request right now: a dependency is down (the Kafka broker, the ledger database) or the ' +
      'service is shutting down. Nothing was accepted. Retry after the number of seconds in `Retry-After`, with the same ' +
      'idempotency keys (tap ids), so that no retry is counted twice.',
  },
  internal: {
    status: 500,
    title: 'Internal error',
    description:
      'The service failed in a way it did not expect. The error is logged on the server; the response carries no details. ' +
      'Retrying with the same idempotency keys is safe. If it persists, report it with the time of the request.',
  },
});

export type GenericProblemSlug = keyof typeof genericProblemTypes;

/**
 * Defines a service's own problem types, keyed by slug. Slugs must be kebab-case and must not
 * shadow a generic type: a client reading `/problems/not-found` must get the same page from
 * every service.
 */
export function defineProblemTypes<const D extends Readonly<Record<string, ProblemTypeDefinition>>>(
  definitions: D,
): ProblemTypes<D> {
  for (const slug of Object.keys(definitions)) {
    assert(!Object.hasOwn(genericProblemTypes, slug), `problem type ${slug} shadows a generic problem type`);
  }
  return define(definitions);
}

/** The `type` member of a problem of this kind. */
export function problemTypeUri(type: Pick<ProblemType, 'slug'>): string {
  return `/problems/${type.slug}`;
}

/** One entry of the `errors` member of an `invalid-request` problem. */
export interface InvalidParam {
  /** RFC 6901 JSON Pointer into the request body (`''` is the whole body). */
  readonly pointer: string;
  readonly detail: string;
}

/** The JSON body of a problem response. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly [extension: string]: unknown;
}

export interface ProblemOptions {
  /** Response headers, e.g. `Retry-After`, `WWW-Authenticate`, `Allow`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extension members, merged into the body (they may not replace the standard members). */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** A URI reference for this occurrence of the problem. */
  readonly instance?: string;
  readonly cause?: unknown;
}

const standardMembers = new Set(['type', 'title', 'status', 'detail', 'instance']);

/**
 * An operating error that becomes an RFC 9457 response. Throw it from a handler (or pass it
 * to `problemResponse`); `onProblemError` renders it. `message` is the `detail`.
 */
export class Problem extends Error {
  override readonly name = 'Problem';
  readonly slug: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly instance: string | undefined;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(type: ProblemType, detail: string, options: ProblemOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    const extensions = options.extensions ?? {};
    for (const key of Object.keys(extensions)) {
      assert(!standardMembers.has(key), `problem extension ${key} would replace a standard member`);
    }
    this.slug = type.slug;
    this.status = type.status;
    this.title = type.title;
    this.detail = detail;
    this.instance = options.instance;
    this.extensions = extensions;
    this.headers = options.headers ?? {};
  }

  get type(): string {
    return problemTypeUri(this);
  }

  /** The response body: standard members first, then the extensions. */
  body(): ProblemBody {
    const standard = { type: this.type, title: this.title, status: this.status, detail: this.detail };
    const withInstance = this.instance === undefined ? standard : { ...standard, instance: this.instance };
    return { ...withInstance, ...this.extensions };
  }
}

/** `problem('payload-too-large', 'The body is 2 MiB; at most 1 MiB is accepted.')`, or with a service's own type. */
export function problem(type: ProblemType | GenericProblemSlug, detail: string, options?: ProblemOptions): Problem {
  return new Problem(typeof type === 'string' ? genericProblemTypes[type] : type, detail, options);
}

/** The 400 `invalid-request` listing every bad value. */
export function invalidRequest(errors: readonly InvalidParam[], options: Omit<ProblemOptions, 'extensions'> = {}): Problem {
  assert(errors.length > 0, 'invalidRequest needs at least one error');
  const detail =
    errors.length === 1
      ? `The request has 1 invalid value, at ${errors[0]?.pointer === '' ? 'the root' : errors[0]?.pointer}: see errors.`
      : `The request has ${errors.length} invalid values: see errors.`;
  return problem('invalid-request', detail, { ...options, extensions: { errors } });
}

/** RFC 6901: `~` becomes `~0` and `/` becomes `~1`, in that order. */
export function jsonPointer(path: readonly PropertyKey[], prefix = ''): string {
  assert(prefix === '' || prefix.startsWith('/'), `JSON Pointer prefix ${JSON.stringify(prefix)} must be empty or start with /`);
  let pointer = prefix;
  for (const segment of path) {
    const text = typeof segment === 'symbol' ? (segment.description ?? '') : String(segment);
    pointer += `/${text.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  }
  return pointer;
}

/**
 * Every zod issue as one `errors` entry, in zod's order (document order for arrays, schema
 * order for object keys), so the same bad input always yields the same list. An unknown-keys
 * issue becomes one entry per key, pointing at the key itself.
 */
export function zodIssueParams(issues: readonly z.core.$ZodIssue[], options: { pointerPrefix?: string } = {}): InvalidParam[] {
  const prefix = options.pointerPrefix ?? '';
  const params: InvalidParam[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) params.push({ pointer: jsonPointer([...issue.path, key], prefix), detail: 'Unknown field' });
    } else {
      params.push({ pointer: jsonPointer(issue.path, prefix), detail: issue.message });
    }
  }
  return params;
}

/** The `invalid-request` problem for a failed zod parse: all issues, not just the first. */
export function fromZodError(error: z.ZodError, options: { pointerPrefix?: string } = {}): Problem {
  return invalidRequest(zodIssueParams(error.issues, options));
}

export const invalidParamSchema = z.object({
  pointer: z.string().meta({ description: 'RFC 6901 JSON Pointer to the offending value in the request body' }),
  detail: z.string().meta({ description: 'Why the value was rejected' }),
});

/** The problem+json body, for services' OpenAPI documents. Extension members are allowed. */
export const problemSchema = z
  .looseObject({
    type: z.string().meta({ description: 'Relative URI `/problems/<slug>`; GET it for a description', example: '/problems/invalid-request' }),
    title: z.string().meta({ description: 'Short summary of the problem type; the same for every occurrence' }),
    status: z.int().min(400).max(599).meta({ description: 'The HTTP status code' }),
    detail: z.string().meta({ description: 'What went wrong in this occurrence' }),
    instance: z.string().optional(),
    errors: z.array(invalidParamSchema).optional().meta({ description: 'With invalid-request: every offending value' }),
  })
  .meta({ title: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' });
