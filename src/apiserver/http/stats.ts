/**
 * Request counters (`server.stats()`): per verb, resource, subresource and response code, how
 * many requests and how many bytes in and out, so tests can assert how many writes a client
 * sent (a cache that "writes only when something changed" is proven here).
 */
import type {
  ApiServerStats,
  ControllerWriteCount,
  ControllerWriteFilter,
  RequestCount,
  RequestCountFilter,
} from '../types.js';

/** What the server knows about a request when it finishes. */
export interface RequestInfo {
  verb: string;
  /** Plural, or '' for non-resource paths (discovery, health, version, openapi). */
  resource: string;
  group: string;
  subresource?: string;
  /** Non-resource path kind, e.g. `discovery`, `healthz`. */
  path?: string;
  /** Bytes of request body read. */
  bodyBytes?: number;
}

function matches(c: RequestCount, f: RequestCountFilter): boolean {
  if (f.verb !== undefined && !(typeof f.verb === 'string' ? [f.verb] : f.verb).includes(c.verb)) return false;
  if (f.resource !== undefined) {
    const names = c.group === '' ? [c.resource] : [c.resource, `${c.resource}.${c.group}`];
    if (!names.includes(f.resource)) return false;
  }
  if (f.subresource !== undefined && c.subresource !== f.subresource) return false;
  if (f.code !== undefined && c.code !== f.code) return false;
  return true;
}

function oneOrMany<T extends string>(v: T | readonly T[] | undefined): readonly T[] | undefined {
  return v === undefined ? undefined : typeof v === 'string' ? [v as T] : (v as readonly T[]);
}

function writeMatches(w: ControllerWriteCount, f: ControllerWriteFilter): boolean {
  const controllers = oneOrMany(f.controller);
  if (controllers && !controllers.includes(w.controller)) return false;
  const verbs = oneOrMany(f.verb);
  if (verbs && !verbs.includes(w.verb)) return false;
  if (f.resource !== undefined) {
    const names = w.group === '' ? [w.resource] : [w.resource, `${w.resource}.${w.group}`];
    if (!names.includes(f.resource)) return false;
  }
  if (f.subresource !== undefined && w.subresource !== f.subresource) return false;
  return true;
}

/** Accumulates request counts. */
export class RequestStats {
  private readonly counts = new Map<string, RequestCount>();

  /** Records one finished request. */
  record(info: RequestInfo, code: number, bytesIn: number, bytesOut: number): void {
    const key = `${info.verb} ${info.group}/${info.resource}/${info.subresource ?? ''} ${info.path ?? ''} ${code}`;
    let c = this.counts.get(key);
    if (!c) {
      c = { verb: info.verb, resource: info.resource, group: info.group, code, count: 0, bytesIn: 0, bytesOut: 0 };
      if (info.subresource !== undefined) c.subresource = info.subresource;
      if (info.path !== undefined) c.path = info.path;
      this.counts.set(key, c);
    }
    c.count++;
    c.bytesIn += bytesIn;
    c.bytesOut += bytesOut;
  }

  /** Forgets every count. */
  reset(): void {
    this.counts.clear();
  }

  /**
   * A snapshot (copies: later requests do not change it), with the built-in controllers' writes
   * (which never go through HTTP) beside the requests.
   */
  snapshot(openWatches: number, controllerWrites: ControllerWriteCount[] = []): ApiServerStats {
    const requests = [...this.counts.values()].map((c) => ({ ...c }));
    const sum = (f: RequestCountFilter, field: 'count' | 'bytesIn' | 'bytesOut') =>
      requests.filter((c) => matches(c, f)).reduce((n, c) => n + c[field], 0);
    return {
      requests,
      openWatches,
      controllers: {
        writes: controllerWrites,
        count: (filter = {}) =>
          controllerWrites.filter((w) => writeMatches(w, filter)).reduce((n, w) => n + w.count, 0),
      },
      count: (filter = {}) => sum(filter, 'count'),
      bytesIn: (filter = {}) => sum(filter, 'bytesIn'),
      bytesOut: (filter = {}) => sum(filter, 'bytesOut'),
    };
  }
}
