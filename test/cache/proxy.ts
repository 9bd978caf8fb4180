// A counting HTTP proxy, so tests can see what reaches the server (e.g. how many watches).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface CountingProxy {
  url: string;
  /** Request URLs in arrival order. */
  readonly requests: string[];
  watches(): number;
  close(): Promise<void>;
}

/**
 * Starts the proxy. `before(url, res)`, when given, runs before a request is forwarded (the test
 * may restart the server behind the proxy there); the request waits for it. When it resolves to
 * true it answered the request itself through `res`, and nothing is forwarded.
 */
export async function startProxy(
  target: string,
  options: {
    before?: (url: string, res: http.ServerResponse) => Promise<boolean | undefined> | boolean | undefined;
  } = {},
): Promise<CountingProxy> {
  const up = new URL(target);
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer(async (req, res) => {
    requests.push(req.url ?? '');
    if (await options.before?.(req.url ?? '', res)) {
      req.resume();
      return;
    }
    const out = http.request(
      { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
        // A response cut upstream is cut here too (pipe would leave the client waiting).
        upRes.on('close', () => {
          if (!upRes.complete) res.destroy();
        });
      },
    );
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    watches: () => requests.filter((u) => /[?&]watch=(true|1)/.test(u)).length,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
