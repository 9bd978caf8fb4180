/**
 * The keep-alive agent of one cluster: TLS settings from the kubeconfig (CA, client certificate,
 * server name, verification) and, with `proxy-url`, a tunnel through the proxy for every new
 * connection: HTTP CONNECT for `http://` and `https://` proxies (client-go's `http.ProxyURL`),
 * the SOCKS5 handshake (no authentication, or username/password) for `socks5://`. Pooled sockets
 * are tunnels already, so keep-alive works through the proxy too.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { AuthMaterial } from './types.js';

/** Pool sizing of an agent. */
export interface PoolOptions {
  readonly maxSockets: number;
  readonly maxFreeSockets: number;
}

type Callback = (err: Error | null, socket?: Duplex) => void;
type ConnectOptions = tls.ConnectionOptions & { host?: string; port?: number | string };

/** Builds the agent for `server` with this TLS material, tunnelling through `proxy` when given. */
export function createAgent(
  server: URL,
  material: AuthMaterial,
  proxy: URL | undefined,
  pool: PoolOptions,
): http.Agent {
  const common = { keepAlive: true, scheduling: 'lifo' as const, ...pool };
  const secure = server.protocol === 'https:';
  const tlsOptions = {
    ca: material.ca,
    cert: material.cert,
    key: material.key,
    rejectUnauthorized: material.rejectUnauthorized,
    servername: material.servername,
  };
  if (!proxy) return secure ? new https.Agent({ ...common, ...tlsOptions }) : new http.Agent(common);
  if (secure) {
    const agent = new https.Agent({ ...common, ...tlsOptions });
    overrideConnect(agent, (options, done) => {
      tunnel(proxy, String(options.host), Number(options.port)).then(
        (socket) => done(null, tls.connect({ ...options, socket })),
        (err: Error) => done(err),
      );
    });
    return agent;
  }
  const agent = new http.Agent(common);
  overrideConnect(agent, (options, done) => {
    tunnel(proxy, String(options.host), Number(options.port)).then(
      (socket) => done(null, socket),
      (err: Error) => done(err),
    );
  });
  return agent;
}

/** Node's agents accept an asynchronous `createConnection(options, callback)` that returns nothing. */
function overrideConnect(agent: http.Agent, connect: (options: ConnectOptions, done: Callback) => void): void {
  (agent as unknown as { createConnection: (options: ConnectOptions, done: Callback) => undefined }).createConnection =
    (options, done) => {
      connect(options, done);
      return undefined;
    };
}

/** Opens a tunnel to `host:port` through `proxy`. */
export function tunnel(proxy: URL, host: string, port: number): Promise<Duplex> {
  return proxy.protocol === 'socks5:' ? socks5(proxy, host, port) : httpConnect(proxy, host, port);
}

function proxyName(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`; // never the credentials
}

function openProxySocket(proxy: URL, defaultPort: number): Promise<net.Socket> {
  const host = proxy.hostname.replace(/^\[|\]$/g, '');
  const port = Number(proxy.port || defaultPort);
  return new Promise((resolve, reject) => {
    const socket =
      proxy.protocol === 'https:'
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host })
        : net.connect({ host, port });
    const onError = (err: Error): void => {
      socket.destroy();
      reject(new Error(`proxy ${proxyName(proxy)}: ${err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    socket.once(proxy.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** HTTP CONNECT through an `http://` or `https://` proxy; Node's own client parses the answer. */
function httpConnect(proxy: URL, host: string, port: number): Promise<Duplex> {
  const target = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  const headers: Record<string, string> = { Host: target };
  if (proxy.username || proxy.password) {
    const user = decodeURIComponent(proxy.username);
    const pass = decodeURIComponent(proxy.password);
    headers['Proxy-Authorization'] = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  const proxyHost = proxy.hostname.replace(/^\[|\]$/g, '');
  const secure = proxy.protocol === 'https:';
  const options = {
    method: 'CONNECT',
    host: proxyHost,
    port: Number(proxy.port || (secure ? 443 : 80)),
    path: target,
    headers,
    agent: false as const,
    servername: secure && !net.isIP(proxyHost) ? proxyHost : undefined,
  };
  return new Promise<Duplex>((resolve, reject) => {
    const req = (secure ? https : http).request(options);
    req.once('connect', (res: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(
          new Error(
            `proxy ${proxyName(proxy)} refused CONNECT ${target}: ${res.statusCode} ${res.statusMessage ?? ''}`.trim(),
          ),
        );
        return;
      }
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.once('response', (res: http.IncomingMessage) => {
      res.resume();
      reject(new Error(`proxy ${proxyName(proxy)} answered CONNECT ${target} with ${res.statusCode}`));
    });
    req.once('error', (err: Error) => reject(new Error(`proxy ${proxyName(proxy)}: ${err.message}`, { cause: err })));
    req.end();
  });
}

const SOCKS_REPLIES: Record<number, string> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

/** RFC 1928 CONNECT, with RFC 1929 username/password when the URL carries them. */
async function socks5(proxy: URL, host: string, port: number): Promise<Duplex> {
  const socket = await openProxySocket(proxy, 1080);
  try {
    return await socks5Handshake(socket, proxy, host, port);
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

async function socks5Handshake(socket: net.Socket, proxy: URL, host: string, port: number): Promise<Duplex> {
  const reader = new SocketReader(socket, proxy);
  const fail = (message: string): never => {
    throw new Error(`proxy ${proxyName(proxy)}: ${message}`);
  };
  const withAuth = Boolean(proxy.username || proxy.password);
  socket.write(Buffer.from(withAuth ? [5, 2, 0, 2] : [5, 1, 0]));
  const [version, method] = await reader.read(2);
  if (version !== 5) fail('not a SOCKS5 server');
  if (method === 2) {
    const user = Buffer.from(decodeURIComponent(proxy.username));
    const pass = Buffer.from(decodeURIComponent(proxy.password));
    if (user.length > 255 || pass.length > 255) fail('SOCKS5 username or password longer than 255 bytes');
    socket.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]));
    const [, status] = await reader.read(2);
    if (status !== 0) fail('SOCKS5 authentication failed');
  } else if (method !== 0) fail('SOCKS5 server accepts none of the offered authentication methods');
  let address: Buffer;
  if (net.isIPv4(host)) address = Buffer.from([1, ...host.split('.').map(Number)]);
  else {
    // Host names (and IPv6 literals) are resolved by the proxy, as Go's SOCKS5 dialer does.
    const name = Buffer.from(host);
    if (name.length > 255) fail('host name longer than 255 bytes');
    address = Buffer.concat([Buffer.from([3, name.length]), name]);
  }
  socket.write(Buffer.concat([Buffer.from([5, 1, 0]), address, Buffer.from([port >> 8, port & 0xff])]));
  const [, reply, , type] = await reader.read(4);
  if (reply !== 0) fail(`SOCKS5 CONNECT ${host}:${port} failed: ${SOCKS_REPLIES[reply] ?? `reply ${reply}`}`);
  const boundLength = type === 1 ? 4 : type === 4 ? 16 : (await reader.read(1))[0];
  await reader.read(boundLength + 2);
  reader.release();
  return socket;
}

/**
 * Reads handshake bytes in paused mode (`read(n)`), so bytes past the handshake stay in the
 * socket's buffer for whoever uses the tunnel next.
 */
class SocketReader {
  #waiter: (() => void) | undefined;
  #error: Error | undefined;
  readonly #socket: net.Socket;
  readonly #onReadable = (): void => this.#waiter?.();
  readonly #onEnd = (err?: Error): void => {
    this.#error ??= new Error(`proxy ${proxyName(this.proxy)} closed the connection during the handshake`, {
      cause: err,
    });
    this.#waiter?.();
  };

  constructor(
    socket: net.Socket,
    readonly proxy: URL,
  ) {
    this.#socket = socket;
    socket.on('readable', this.#onReadable);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onEnd);
  }

  async read(n: number): Promise<Buffer> {
    for (;;) {
      if (this.#error) throw this.#error;
      const chunk = this.#socket.read(n) as Buffer | null;
      if (chunk !== null) return chunk;
      await new Promise<void>((resolve) => {
        this.#waiter = () => {
          this.#waiter = undefined;
          resolve();
        };
      });
    }
  }

  /** Stops reading; the socket flows again once its next user listens. */
  release(): void {
    this.#socket.off('readable', this.#onReadable);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('error', this.#onEnd);
  }
}
