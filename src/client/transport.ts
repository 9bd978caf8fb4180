/**
 * The HTTP transport: one keep-alive connection pool per cluster over `node:http`/`node:https`,
 * buffered requests for ordinary verbs and raw response streams for watches.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { inspect } from 'node:util';
import { KloopError } from '../core/index.js';
import { createAgent } from './agent.js';
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
  /** `proxy-url`: new connections tunnel through it (HTTP CONNECT or SOCKS5). */
  proxy?: URL;
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
  readonly #proxy: URL | undefined;
  readonly #maxSockets: number;
  readonly #userAgent: string;
  readonly #basePath: string;
  #agent: http.Agent | undefined;
  #agentMaterial: AuthMaterial | undefined;
  #closed = false;

  constructor(options: HttpTransportOptions) {
    this.server = options.server;
    this.#auth = options.auth;
    this.#proxy = options.proxy;
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
    const status = res.statusCode ?? 0;
    const onChunk = status >= 200 && status < 300 ? req.onBodyChunk : undefined;
    try {
      for await (const chunk of res) {
        chunks.push(chunk as Buffer);
        size += (chunk as Buffer).length;
        onChunk?.(chunk as Buffer);
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
    const headers: Record<string, string | string[]> = { 'User-Agent': this.#userAgent };
    for (const [name, value] of Object.entries(material.headers))
      headers[name] = typeof value === 'string' ? value : [...value];
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
            : new TransportError(`${req.method} ${req.path}: ${describeFailure(err, this.server, material)}`, {
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

  /** What `util.inspect` shows: where requests go, never a credential of the URL. */
  [inspect.custom](): string {
    return `HttpTransport { server: '${withoutCredentials(this.server)}'${this.#proxy ? `, proxy: '${withoutCredentials(this.#proxy)}'` : ''} }`;
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
      (prev === material ||
        (samePem(prev.ca, material.ca) &&
          samePem(prev.cert, material.cert) &&
          samePem(prev.key, material.key) &&
          prev.rejectUnauthorized === material.rejectUnauthorized &&
          prev.servername === material.servername))
    ) {
      this.#agentMaterial = material;
      return this.#agent;
    }
    this.#agent?.destroy();
    this.#agent = createAgent(this.server, material, this.#proxy, {
      maxSockets: this.#maxSockets,
      maxFreeSockets: 16,
    });
    this.#agentMaterial = material;
    return this.#agent;
  }
}

/** A URL as text without its `user:password@` (for what is shown: messages, `util.inspect`, JSON). */
export function withoutCredentials(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

/** Compares TLS material by content. */
function samePem(a: Buffer | undefined, b: Buffer | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return a.equals(b);
}

/** OpenSSL verification codes, each with what to check in the kubeconfig. */
const TLS_HINTS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate is not signed by a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the server certificate is not signed by a trusted CA',
  SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate chain ends in a CA that is not trusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed and not trusted',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  CERT_NOT_YET_VALID: 'the server certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not name this host',
};

/**
 * The message of a failed request. TLS verification failures say which kubeconfig fields
 * matter, since Node's own words ("unable to verify the first certificate") do not.
 */
function describeFailure(err: unknown, server: URL, material: AuthMaterial): string {
  const message = (err as Error)?.message ?? String(err);
  const code = (err as NodeJS.ErrnoException)?.code;
  const hint = code ? TLS_HINTS[code] : undefined;
  if (!hint) return message;
  const trust = material.ca
    ? "check the cluster's certificate-authority(-data)"
    : "the kubeconfig names no certificate-authority, so the system's CAs were used";
  const name = code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? `; set tls-server-name to a name it has` : `; ${trust}`;
  return `TLS: ${hint} (${code}: ${message}) for ${server.host}${name}`;
}
