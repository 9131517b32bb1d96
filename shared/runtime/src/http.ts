import { type IncomingMessage, maxHeaderSize, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { assert } from '@fareledger/domain';
import { type Problem, problem } from './problem.js';

export interface ListenOptions {
  readonly host: string;
  /** 0 picks a free port; the real one is in the result. */
  readonly port: number;
  /** A client must send all its headers within this time, or gets a 408 `request-timeout` and is cut off. */
  readonly headersTimeoutMs: number;
  /** A client must send the whole request (headers and body) within this time. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this time. */
  readonly keepAliveTimeoutMs: number;
  /** `close()` waits this long for in-flight requests, then cuts the remaining sockets. Default 10000. */
  readonly closeMsMax?: number;
}

export interface Listening {
  /** `http://<host>:<port>`, with the real port. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops accepting connections, closes idle keep-alive sockets, lets in-flight requests
   * finish (their connections close once answered), and resolves when the server is closed;
   * sockets still open after `closeMsMax` are destroyed. Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/** How a service's app is served: listen() on a socket, or mounted on a server the caller owns. */
export type ServeApp = (app: Hono) => Promise<Listening>;

/** How often Node looks for requests past their headers or request timeout. */
const connectionsCheckIntervalMsMax = 1000;

/** Serves `app` on @hono/node-server; resolves once the socket is listening. */
export function listen(app: Hono, options: ListenOptions): Promise<Listening> {
  const { host, port, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, closeMsMax = 10_000 } = options;
  assert(Number.isInteger(port) && port >= 0 && port <= 65_535, `listen: port ${port} out of range`);
  assert(headersTimeoutMs > 0 && requestTimeoutMs >= headersTimeoutMs, 'listen: need 0 < headersTimeoutMs <= requestTimeoutMs');
  assert(keepAliveTimeoutMs > 0 && closeMsMax > 0, 'listen: keepAliveTimeoutMs and closeMsMax must be positive');
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: app.fetch,
      hostname: host,
      port,
      serverOptions: {
        headersTimeout: headersTimeoutMs,
        requestTimeout: requestTimeoutMs,
        keepAliveTimeout: keepAliveTimeoutMs,
        // Node checks the two timeouts above on this interval (default 30 s): without a
        // shorter one a slow-headers client would hold its socket far past headersTimeoutMs.
        connectionsCheckingInterval: Math.min(connectionsCheckIntervalMsMax, Math.ceil(headersTimeoutMs / 2)),
      },
    }) as Server;
    server.on('clientError', (error: ClientError, socket: Duplex) => answerClientError(error, socket, options));
    // listen() reports EADDRINUSE and friends asynchronously, so this handler is in time.
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({ url: `http://${urlHost}:${address.port}`, port: address.port, close: closer(server, closeMsMax) });
    });
  });
}

type ClientError = Error & { code?: string; reason?: unknown };

/**
 * A request Node's parser refuses (a header line that is not HTTP, a Content-Length that is
 * not a number, headers past `maxHeaderSize`) or cuts off (headers or body too slow) never
 * reaches the app, and Node's default answers are bare, without a body. Answered here as
 * problem+json like every other refusal, so a device or a proxy gets a type and the limit it
 * broke. As Node does: nothing is written once a response on this connection has begun (the
 * peer would read it as part of that response).
 */
function answerClientError(error: ClientError, socket: Duplex, timeouts: Pick<ListenOptions, 'headersTimeoutMs' | 'requestTimeoutMs'>): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!socket.writable || inFlight?.headersSent === true || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  socket.end(clientErrorAnswer(error, timeouts));
}

function clientErrorAnswer(error: ClientError, timeouts: Pick<ListenOptions, 'headersTimeoutMs' | 'requestTimeoutMs'>): string {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT': {
      // A slow client: slowloris, or a device on a failing link.
      const detail = `The request did not arrive in time: headers are read for at most ${timeouts.headersTimeoutMs} ms, the whole request for ${timeouts.requestTimeoutMs} ms.`;
      return rawProblem('408 Request Timeout', problem('request-timeout', detail));
    }
    case 'HPE_HEADER_OVERFLOW':
      return rawProblem('431 Request Header Fields Too Large', problem('headers-too-large', `The request line and headers are larger than the ${maxHeaderSize} bytes the server reads.`));
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return rawProblem('413 Payload Too Large', problem('payload-too-large', 'The chunk extensions of the body are larger than the server reads.'));
    default: {
      const reason = typeof error.reason === 'string' ? error.reason : 'it could not be parsed';
      return rawProblem('400 Bad Request', problem('malformed-request', `The request is not valid HTTP/1.1: ${reason}.`));
    }
  }
}

/** A whole problem+json response, written on a socket no route owns; the connection closes after it. */
function rawProblem(statusLine: string, answer: Problem): string {
  const body = JSON.stringify(answer.body());
  return `HTTP/1.1 ${statusLine}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * Node's `server.close()` leaves a connection open after its in-flight response if the
 * response said keep-alive, so close would wait for keepAliveTimeoutMs or for the client.
 * Responses are tracked (a Set add and delete per request) so that close can mark the ones
 * still in flight `Connection: close`: the client then knows not to reuse the socket, and
 * Node ends it right after the response. New requests on an old keep-alive connection during
 * close are answered the same way.
 */
function closer(server: Server, closeMsMax: number): () => Promise<void> {
  const inFlight = new Set<ServerResponse>();
  let closing: Promise<void> | undefined;
  server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (closing !== undefined) endAfterResponse(server, response);
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
  });
  return () => {
    closing ??= new Promise<void>((resolve, reject) => {
      const force = setTimeout(() => server.closeAllConnections(), closeMsMax);
      server.close((error) => {
        clearTimeout(force);
        if (error === undefined) resolve();
        else reject(error);
      });
      for (const response of inFlight) endAfterResponse(server, response);
    });
    return closing;
  };
}

function endAfterResponse(server: Server, response: ServerResponse): void {
  if (!response.headersSent) response.setHeader('connection', 'close');
  // A response whose headers already said keep-alive leaves an idle socket behind: close it.
  else response.once('finish', () => setImmediate(() => server.closeIdleConnections()));
}
