/**
 * A proxy in front of the emulator that records every request (method, path with query, when)
 * and can be cut like a dead process: tests read from it what a manager asked the server for
 * (which lists and watches, in which namespaces) and when.
 */
import { startForwardingProxy } from '../support/forwarding-proxy.js';

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
  const requests: SeenRequest[] = [];
  const proxy = await startForwardingProxy(server, {
    intercept(req) {
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '', at: performance.now() });
      return false;
    },
  });
  return {
    ...proxy,
    requests,
    listsAndWatches: (resource) => requests.filter((r) => isListOrWatch(r, resource)),
  };
}
