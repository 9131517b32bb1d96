import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { assert } from '@fareledger/domain';

export interface ListenOptions {
  readonly host: string;
  /** 0 picks a free port; the real one is in the result. */
  readonly port: number;
  /** A client must send all its headers within this time, or gets a 408 and is cut off. */
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
