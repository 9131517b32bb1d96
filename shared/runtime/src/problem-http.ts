import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from './logger.js';
import { type GenericProblemSlug, genericProblemTypes, problem, Problem } from './problem.js';
import { markUnmatched } from './unmatched.js';

export const problemContentType = 'application/problem+json';

/** The problem as a response: its status, `application/problem+json`, and its headers. */
export function problemResponse(c: Context, failure: Problem): Response {
  const headers = { ...failure.headers, 'content-type': problemContentType };
  return c.body(JSON.stringify(failure.body()), failure.status as ContentfulStatusCode, headers);
}

// HTTPException statuses thrown by hono's own middleware (body limit, auth, validators),
// mapped to our types. A status not listed here is a bug in our code (we throw Problem,
// not HTTPException) and is answered as `internal`.
const slugByHttpStatus: ReadonlyMap<number, GenericProblemSlug> = new Map([
  [400, 'malformed-body'],
  [401, 'unauthenticated'],
  [403, 'forbidden'],
  [404, 'not-found'],
  [405, 'method-not-allowed'],
  [413, 'payload-too-large'],
  [415, 'unsupported-media-type'],
  [429, 'too-many-requests'],
  [503, 'unavailable'],
]);

// Headers of an HTTPException's own response that carry meaning for the client.
const forwardedHeaders = ['www-authenticate', 'retry-after', 'allow'] as const;

function fromHttpException(exception: HTTPException): Problem | undefined {
  const slug = slugByHttpStatus.get(exception.status);
  if (slug === undefined) return undefined;
  const headers: Record<string, string> = {};
  for (const name of forwardedHeaders) {
    const value = exception.res?.headers.get(name);
    if (value !== null && value !== undefined) headers[name] = value;
  }
  const detail = exception.message === '' ? genericProblemTypes[slug].title : exception.message;
  return problem(slug, detail, { headers, cause: exception });
}

/**
 * For `app.onError`: a `Problem` becomes its response; a hono `HTTPException` is mapped to
 * the generic type of its status; an error after the client went away is logged in one info
 * line; anything else is a bug, logged with its stack and answered with a bare 500 `internal`
 * that leaks nothing.
 */
export function onProblemError(logger: Logger): ErrorHandler {
  return (error, c) => {
    const known = error instanceof Problem ? error : error instanceof HTTPException ? fromHttpException(error) : undefined;
    if (known !== undefined) {
      // 4xx are the client's business and can come at the ingest rate: debug only.
      if (known.status >= 500) logger.warn({ problem: known.slug, detail: known.detail }, 'request failed');
      else logger.debug({ problem: known.slug, detail: known.detail }, 'request rejected');
      return problemResponse(c, known);
    }
    if (c.req.raw.signal.aborted) {
      // The client closed the connection (or Node cut it off at requestTimeoutMs) while the
      // handler read the body: nobody will read this response. Not a bug, and a slow-client
      // flood must not fill the error log, so one info line without the stack.
      logger.info({ method: c.req.method, path: c.req.path, reason: error.message }, 'client went away');
      return problemResponse(c, problem('malformed-body', 'The request ended before it was complete.'));
    }
    logger.error({ err: error, method: c.req.method, path: c.req.path }, 'unhandled error');
    return problemResponse(c, problem('internal', 'The service failed unexpectedly; the error has been logged.'));
  };
}

/** Paths are echoed into `detail`; a client may send a very long one. */
const echoedPathLengthMax = 200;

/** For `app.notFound`: a 404 `not-found` problem naming the method and path. */
export const notFoundProblem: NotFoundHandler = (c) => {
  markUnmatched(c);
  const path = c.req.path.length > echoedPathLengthMax ? `${c.req.path.slice(0, echoedPathLengthMax)}…` : c.req.path;
  return problemResponse(c, problem('not-found', `No route matches ${c.req.method} ${path}.`));
};
