/**
 * A proxy in front of the emulator for tests that need to see or steer a client's traffic: it
 * forwards every request, lets a hook answer one itself or watch its upstream answer, and can be
 * cut like a dead process (open connections, watches included, are reset).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a test may do with each request. */
export interface ProxyHooks {
  /** Called first; return true when it answered the request itself (nothing is forwarded). */
  intercept?(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /** Called with the upstream answer before it is passed on. */
  answered?(req: http.IncomingMessage, up: http.IncomingMessage): void;
}

/** A running forwarding proxy. */
export interface ForwardingProxy {
  /** A copy of the server's kubeconfig pointing at the proxy. */
  readonly kubeconfig: object;
  /** Refuse everything from now on and reset open connections (watches included). */
  cut(): void;
  close(): Promise<void>;
}

export async function startForwardingProxy(
  server: { url: string; kubeconfig: object },
  hooks: ProxyHooks = {},
): Promise<ForwardingProxy> {
  const target = new URL(server.url);
  const sockets = new Set<Socket>();
  let cut = false;
  const proxy = http.createServer((req, res) => {
    if (cut) {
      req.socket.destroy();
      return;
    }
    if (hooks.intercept?.(req, res)) return;
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        hooks.answered?.(req, up);
        res.writeHead(up.statusCode ?? 502, up.headers);
        res.flushHeaders();
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  proxy.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const kubeconfig = JSON.parse(JSON.stringify(server.kubeconfig)) as {
    clusters: Array<{ cluster: { server: string } }>;
  };
  for (const c of kubeconfig.clusters) c.cluster.server = url;
  const cutAll = () => {
    cut = true;
    for (const s of sockets) s.destroy();
  };
  return {
    kubeconfig,
    cut: cutAll,
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        proxy.close(() => resolve());
      }),
  };
}
