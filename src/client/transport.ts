/**
 * The HTTP transport: one keep-alive connection pool per cluster over `node:http`/`node:https`,
 * buffered requests for ordinary verbs and raw response streams for watches.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { KloopError } from '../core/index.js';
import type { AuthMaterial, HttpRequest, HttpResponse } from './types.js';

/**
 * The request could not be sent or its response not read: refused or reset connection, DNS,
 * TLS, timeout, or abort.
 *
 * @remarks Retried (with backoff) by the client for idempotent reads; writes surface it, since
 * the server may or may not have applied them. `aborted` is true when the caller's signal fired.
 */
export class TransportError extends KloopError {
  /** True when the caller's `AbortSignal` caused it. */
  readonly aborted: boolean;
  constructor(message: string, options: { cause?: unknown; aborted?: boolean } = {}) {
    super(options.aborted ? 'KLOOP_REQUEST_ABORTED' : 'KLOOP_CONNECTION_ERROR', message, { cause: options.cause });
    this.name = 'TransportError';
    this.aborted = options.aborted ?? false;
  }
}

/** Options of `HttpTransport`. */
export interface HttpTransportOptions {
  server: URL;
  /** Fresh TLS material and headers; called per request, so it must be cheap (it is cached above). */
  auth: () => Promise<AuthMaterial>;
  maxSockets?: number;
  userAgent?: string;
}

/**
 * Sends requests over one keep-alive pool. The pool is rebuilt only when the TLS material
 * changes (an exec plugin handing out a new client certificate).
 */
export class HttpTransport {
  readonly server: URL;
  readonly #auth: () => Promise<AuthMaterial>;
  readonly #maxSockets: number;
  readonly #userAgent: string;
  readonly #basePath: string;
  #agent: http.Agent | undefined;
  #agentMaterial: AuthMaterial | undefined;
  #closed = false;

  constructor(options: HttpTransportOptions) {
    this.server = options.server;
    this.#auth = options.auth;
    this.#maxSockets = options.maxSockets ?? 64;
    this.#userAgent = options.userAgent ?? 'kloop';
    // A server URL may carry a path prefix (proxies, `kubectl proxy --api-prefix`).
    this.#basePath = options.server.pathname.replace(/\/$/, '');
  }

  /** Sends a request and reads its whole (small) body. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const res = await this.stream(req);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res) {
        chunks.push(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    } catch (err) {
      throw new TransportError(`reading ${req.method} ${req.path}: ${(err as Error).message}`, {
        cause: err,
        aborted: req.signal?.aborted,
      });
    }
    return {
      status: res.statusCode ?? 0,
      headers: res.headers,
      body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size),
    };
  }

  /**
   * Sends a request and resolves with the response as soon as its headers arrive; the caller
   * reads (or destroys) the body. Used for watches.
   */
  async stream(req: HttpRequest): Promise<IncomingMessage> {
    if (this.#closed) throw new TransportError('transport is closed');
    if (req.signal?.aborted) throw new TransportError(`${req.method} ${req.path}: aborted`, { aborted: true });
    const material = await this.#auth();
    const agent = this.#agentFor(material);
    const headers: Record<string, string> = { ...material.headers, 'User-Agent': this.#userAgent };
    headers.Accept = req.accept ?? 'application/json';
    if (req.body !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(req.body));
    }
    const isHttps = this.server.protocol === 'https:';
    const options: https.RequestOptions = {
      method: req.method,
      host: this.server.hostname.replace(/^\[|\]$/g, ''),
      port: this.server.port || (isHttps ? 443 : 80),
      path: this.#basePath + req.path,
      headers,
      agent,
    };
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = (isHttps ? https : http).request(options);
      let settled = false;
      const fail = (err: unknown, aborted = false): void => {
        if (settled) return;
        settled = true;
        cleanup();
        reject(
          err instanceof TransportError
            ? err
            : new TransportError(`${req.method} ${req.path}: ${(err as Error)?.message ?? String(err)}`, {
                cause: err,
                aborted,
              }),
        );
      };
      const onAbort = (): void => {
        request.destroy();
        fail(new TransportError(`${req.method} ${req.path}: aborted`, { aborted: true }));
      };
      const cleanup = (): void => req.signal?.removeEventListener('abort', onAbort);
      req.signal?.addEventListener('abort', onAbort, { once: true });
      if (req.timeoutMs) {
        request.setTimeout(req.timeoutMs, () => {
          request.destroy(new Error(`timed out after ${req.timeoutMs} ms`));
        });
      }
      request.on('error', (err) => fail(err, req.signal?.aborted));
      request.on('response', (res) => {
        if (settled) {
          res.destroy();
          return;
        }
        settled = true;
        // The abort listener stays until the body ends, so aborting mid-stream destroys it.
        if (req.signal) {
          const signal = req.signal;
          const onBodyAbort = (): void => {
            res.destroy(new TransportError(`${req.method} ${req.path}: aborted`, { aborted: true }));
          };
          signal.removeEventListener('abort', onAbort);
          signal.addEventListener('abort', onBodyAbort, { once: true });
          res.once('close', () => signal.removeEventListener('abort', onBodyAbort));
        }
        resolve(res);
      });
      request.end(req.body);
    });
  }

  /** Closes pooled sockets. Requests in flight finish; new ones fail. */
  close(): void {
    this.#closed = true;
    this.#agent?.destroy();
    this.#agent = undefined;
  }

  #agentFor(material: AuthMaterial): http.Agent {
    const prev = this.#agentMaterial;
    if (
      this.#agent &&
      prev &&
      samePem(prev.ca, material.ca) &&
      samePem(prev.cert, material.cert) &&
      samePem(prev.key, material.key) &&
      prev.rejectUnauthorized === material.rejectUnauthorized &&
      prev.servername === material.servername
    ) {
      return this.#agent;
    }
    this.#agent?.destroy();
    const common = { keepAlive: true, maxSockets: this.#maxSockets, maxFreeSockets: 16, scheduling: 'lifo' as const };
    this.#agent =
      this.server.protocol === 'https:'
        ? new https.Agent({
            ...common,
            ca: material.ca,
            cert: material.cert,
            key: material.key,
            rejectUnauthorized: material.rejectUnauthorized,
            servername: material.servername,
          })
        : new http.Agent(common);
    this.#agentMaterial = material;
    return this.#agent;
  }
}

type Pem = string | Buffer | Array<string | Buffer> | undefined;

/** Compares TLS material by content: client-node reads files anew on each call. */
function samePem(a: Pem, b: Pem): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const la = Array.isArray(a) ? a : [a];
  const lb = Array.isArray(b) ? b : [b];
  if (la.length !== lb.length) return false;
  return la.every((x, i) => Buffer.from(x).equals(Buffer.from(lb[i])));
}
