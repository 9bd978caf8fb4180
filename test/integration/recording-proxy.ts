/**
 * A proxy in front of the emulator that records every request (method, path with query, when)
 * and can be cut like a dead process: tests read from it what a manager asked the server for
 * (which lists and watches, in which namespaces) and when.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request seen by the proxy. */
export interface SeenRequest {
  method: string;
  /** Path with query string. */
  path: string;
  /** When it arrived (performance.now()). */
  at: number;
}

/** A running recording proxy. */
export interface RecordingProxy {
  /** A copy of `kubeconfig` pointing at the proxy. */
  readonly kubeconfig: object;
  readonly requests: SeenRequest[];
  /** Lists and watches (GETs of a collection) of `resource` (`configmaps`), in arrival order. */
  listsAndWatches(resource: string): SeenRequest[];
  /** Refuse everything from now on and reset open connections (watches included). */
  cut(): void;
  close(): Promise<void>;
}

/** True for a GET of a collection: a list, or a watch (`watch=true`, streaming lists included). */
export function isListOrWatch(req: SeenRequest, resource: string): boolean {
  if (req.method !== 'GET') return false;
  const path = req.path.split('?')[0]!;
  return path.endsWith(`/${resource}`);
}

/** True for a list (paginated) or a streaming list (a watch with `sendInitialEvents`). */
export function isList(req: SeenRequest, resource: string): boolean {
  if (!isListOrWatch(req, resource)) return false;
  const query = new URLSearchParams(req.path.split('?')[1] ?? '');
  return query.get('watch') !== 'true' || query.get('sendInitialEvents') === 'true';
}

export async function startRecordingProxy(server: { url: string; kubeconfig: object }): Promise<RecordingProxy> {
  const target = new URL(server.url);
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let cut = false;
  const proxy = http.createServer((req, res) => {
    if (cut) {
      req.socket.destroy();
      return;
    }
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '', at: performance.now() });
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
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
  return {
    kubeconfig,
    requests,
    listsAndWatches: (resource) => requests.filter((r) => isListOrWatch(r, resource)),
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        cut = true;
        for (const s of sockets) s.destroy();
        proxy.close(() => resolve());
      }),
  };
}
