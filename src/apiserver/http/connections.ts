/**
 * Connection limits as kube-apiserver's Go `http.Server` sets them (`secure_serving.go`):
 *
 * - Request headers: at most 1 MiB (`MaxHeaderBytes: 1 << 20`, plus the 4096 bytes of slack Go's
 *   reader allows). Past it Go answers `431 Request Header Fields Too Large` as plain text and
 *   closes the connection; there is no limit on the number of headers.
 * - Headers must arrive within 32 s (`ReadHeaderTimeout`); past it Go closes the connection
 *   without an answer. Malformed requests get Go's plain `400 Bad Request`.
 * - An idle keep-alive connection closes after 90 s (`IdleTimeout`).
 * - A body still arriving when the request's time is up (the API server's 60 s request timeout)
 *   gets the timeout filter's 504 `Timeout: request did not complete within the allotted
 *   timeout` Status, and the connection closes: a trickled body cannot hold it forever.
 *
 * Node enforces these itself (`maxHeaderSize`, `headersTimeout`, `requestTimeout`,
 * `keepAliveTimeout`), on the wall clock; this module sets them and answers their failures as Go
 * does. Tests shorten them with `startApiServer({ connections })`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { statusEncoding } from '../codec/negotiation.js';
import { requestTimedOut } from '../errors/status-errors.js';
import type { ConnectionLimits } from '../types.js';
import { sendStatus } from './io.js';

/** Go's `MaxHeaderBytes` as kube-apiserver sets it. */
export const MAX_HEADER_BYTES = 1 << 20;

/** Go reads this much past `MaxHeaderBytes` before it refuses (`initialReadLimitSize`). */
const GO_HEADER_SLACK = 4096;

/** The limits with every default filled in. */
export type ResolvedConnectionLimits = Required<ConnectionLimits>;

/** The API server's connection limits, `overrides` taking precedence. */
export function connectionLimits(overrides: ConnectionLimits = {}): ResolvedConnectionLimits {
  return {
    maxHeaderBytes: overrides.maxHeaderBytes ?? MAX_HEADER_BYTES,
    headersTimeoutMs: overrides.headersTimeoutMs ?? 32_000,
    idleTimeoutMs: overrides.idleTimeoutMs ?? 90_000,
    requestTimeoutMs: overrides.requestTimeoutMs ?? 60_000,
  };
}

/** The options `http.createServer` and `https.createServer` take for `limits`. */
export function serverOptions(limits: ResolvedConnectionLimits): {
  maxHeaderSize: number;
  connectionsCheckingInterval: number;
} {
  // Node checks header and request timeouts on an interval: a fraction of the shortest one.
  const shortest = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return {
    maxHeaderSize: limits.maxHeaderBytes + GO_HEADER_SLACK,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(shortest / 8))),
  };
}

const GO_ERROR_HEADERS = '\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n';

/** Go's plain-text answer to a request it could not read (`server.go` `readRequest` errors). */
function goPlainError(status: string): string {
  return `HTTP/1.1 ${status}${GO_ERROR_HEADERS}${status}`;
}

/**
 * Applies `limits` to `server` and answers what Node refuses as Go would. Returns a function the
 * request handler calls with each request, so a body that times out can be answered with a Status.
 */
export function applyConnectionLimits(
  server: Server,
  limits: ResolvedConnectionLimits,
): (req: IncomingMessage, res: ServerResponse) => void {
  const inFlight = new WeakMap<Duplex, { req: IncomingMessage; res: ServerResponse }>();
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.idleTimeoutMs;
  // Go counts header bytes only.
  server.maxHeadersCount = 0;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const current = inFlight.get(socket);
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && current && !current.res.headersSent) {
      // The body did not arrive in time: the timeout filter's 504, then the connection closes.
      const { req, res } = current;
      res.shouldKeepAlive = false;
      res.setHeader('Connection', 'close');
      res.once('finish', () => socket.destroy());
      sendStatus(res, requestTimedOut().status, statusEncoding(req.headers.accept));
      return;
    }
    if (!socket.writable || err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ECONNRESET') {
      // Go hangs up on a connection whose headers did not arrive in time, without an answer.
      socket.destroy();
      return;
    }
    const text = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(goPlainError(text));
  });
  return (req, res) => {
    const socket = req.socket;
    inFlight.set(socket, { req, res });
    res.once('close', () => {
      if (inFlight.get(socket)?.res === res) inFlight.delete(socket);
    });
  };
}
