// HTTPS servers with generated certificates, proxies (HTTP CONNECT and SOCKS5) and kubeconfig
// builders, for the client's TLS, proxy, exec and in-cluster tests. Everything listens on
// 127.0.0.1, port 0.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import {
  type CertificateAndKey,
  type CertificateAuthority,
  createCertificateAuthority,
  issueClientCertificate,
  issueServingCertificate,
} from '../../src/apiserver/auth/certificates.js';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The client certificate's subject, when one was presented and verified. */
  user?: { cn: string; groups: string[] };
}

export interface SecureServer {
  url: string;
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export type SecureRoute = (req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest) => void;

/** Answers `GET /api/v1/namespaces/x/configmaps/y` style requests with a ConfigMap by default. */
export const configMapRoute: SecureRoute = (req, res) => {
  const name = req.url?.split('?')[0].split('/').pop() ?? 'x';
  const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
};

/**
 * An HTTPS server with `serving` as its certificate. With `clientCa`, client certificates are
 * requested and verified against it (not required, as kube-apiserver does).
 */
export async function startHttpsServer(
  serving: CertificateAndKey,
  options: { clientCa?: string; route?: SecureRoute; host?: string } = {},
): Promise<SecureServer> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<net.Socket>();
  const route = options.route ?? configMapRoute;
  const server = https.createServer(
    {
      cert: serving.certPem,
      key: serving.keyPem,
      ca: options.clientCa,
      requestCert: Boolean(options.clientCa),
      rejectUnauthorized: false,
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
      if (options.clientCa && socket.authorized) {
        const subject = socket.getPeerCertificate().subject as unknown as Record<string, string | string[]>;
        const o = subject.O;
        seen.user = { cn: String(subject.CN), groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
      }
      requests.push(seen);
      req.resume();
      req.on('end', () => route(req, res, seen));
    },
  );
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // Handshake failures (the client refusing our certificate) are the client's business.
  server.on('tlsClientError', () => {});
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A kubeconfig object with one cluster, one user and one context `ctx`. */
export function kubeconfigFor(
  cluster: Record<string, unknown>,
  user: Record<string, unknown> = {},
  context: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', ...context } }],
    'current-context': 'ctx',
  };
}

export const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** A CA with a serving certificate for 127.0.0.1/::1/localhost and an admin client certificate. */
export interface Pki {
  ca: CertificateAuthority;
  serving: CertificateAndKey;
  admin: CertificateAndKey;
}

export function makePki(): Pki {
  const ca = createCertificateAuthority();
  return {
    ca,
    serving: issueServingCertificate(ca),
    admin: issueClientCertificate(ca, 'admin', ['system:masters']),
  };
}

/** A temporary folder removed by `cleanup`. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestProxy {
  url: string;
  /** `host:port` targets asked for, in order. */
  targets: string[];
  /** `Proxy-Authorization` (HTTP) or `user:password` (SOCKS5) seen, in order. */
  credentials: string[];
  close(): Promise<void>;
}

function trackSockets(server: net.Server): () => Promise<void> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

function pipeTo(client: net.Socket, host: string, port: number, head: Buffer, onReady: () => void): void {
  const upstream = net.connect({ host, port }, () => {
    onReady();
    if (head.length > 0) upstream.write(head);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  client.on('close', () => upstream.destroy());
}

/** An HTTP proxy that only tunnels (CONNECT), optionally asking for `Proxy-Authorization`. */
export async function startConnectProxy(options: { requireAuth?: string } = {}): Promise<TestProxy> {
  const targets: string[] = [];
  const credentials: string[] = [];
  const server = http.createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    targets.push(req.url ?? '');
    const auth = req.headers['proxy-authorization'] ?? '';
    credentials.push(auth);
    if (options.requireAuth && auth !== options.requireAuth) {
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
      return;
    }
    const target = new URL(`http://${req.url}`);
    pipeTo(socket, target.hostname.replace(/^\[|\]$/g, ''), Number(target.port), head, () =>
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n'),
    );
  });
  const close = trackSockets(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targets, credentials, close };
}

/** A SOCKS5 proxy (RFC 1928 CONNECT; RFC 1929 username/password when `users` is given). */
export async function startSocksProxy(options: { users?: Record<string, string> } = {}): Promise<TestProxy> {
  const targets: string[] = [];
  const credentials: string[] = [];
  const server = net.createServer((socket) => {
    let buffer = Buffer.alloc(0);
    let stage: 'greeting' | 'auth' | 'request' = 'greeting';
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      if (stage === 'greeting' && buffer.length >= 2 && buffer.length >= 2 + buffer[1]) {
        const methods = [...buffer.subarray(2, 2 + buffer[1])];
        buffer = buffer.subarray(2 + buffer[1]);
        const wantAuth = Boolean(options.users);
        const method = wantAuth ? (methods.includes(2) ? 2 : 0xff) : methods.includes(0) ? 0 : 0xff;
        socket.write(Buffer.from([5, method]));
        if (method === 0xff) return void socket.end();
        stage = wantAuth ? 'auth' : 'request';
      }
      if (stage === 'auth' && buffer.length >= 2) {
        const ulen = buffer[1];
        if (buffer.length < 3 + ulen) return;
        const plen = buffer[2 + ulen];
        if (buffer.length < 3 + ulen + plen) return;
        const user = buffer.subarray(2, 2 + ulen).toString();
        const pass = buffer.subarray(3 + ulen, 3 + ulen + plen).toString();
        buffer = buffer.subarray(3 + ulen + plen);
        credentials.push(`${user}:${pass}`);
        const ok = options.users?.[user] === pass;
        socket.write(Buffer.from([1, ok ? 0 : 1]));
        if (!ok) return void socket.end();
        stage = 'request';
      }
      if (stage === 'request' && buffer.length >= 5) {
        const type = buffer[3];
        const addressLength = type === 1 ? 4 : type === 4 ? 16 : 1 + buffer[4];
        if (buffer.length < 4 + addressLength + 2) return;
        const address =
          type === 1
            ? [...buffer.subarray(4, 8)].join('.')
            : type === 3
              ? buffer.subarray(5, 5 + buffer[4]).toString()
              : '::1';
        const port = buffer.readUInt16BE(4 + addressLength);
        const rest = buffer.subarray(4 + addressLength + 2);
        socket.off('data', onData);
        targets.push(`${address}:${port}`);
        pipeTo(socket, address, port, rest, () => socket.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0])));
      }
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  });
  const close = trackSockets(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `socks5://127.0.0.1:${(server.address() as AddressInfo).port}`, targets, credentials, close };
}
