/**
 * WATCH: a chunked stream of one-line JSON events. Start: resourceVersion unset or "0" replays
 * the current state as ADDED; N replays history after N (410 as an ERROR event when compacted).
 * The replay and the registration with the hub happen in one tick, so no event can fall in
 * between. Bookmarks (with `allowWatchBookmarks`) come every `bookmarkIntervalMs` and just before
 * `timeoutSeconds` ends the stream cleanly.
 */
import { makeStatus } from '../core/index.js';
import { expired, StatusError, toStatus } from './errors.js';
import { resourceNames } from './cluster.js';
import { parseListOptions } from './list-options.js';
import type { ResourceRequest } from './request.js';
import type { StoredEvent } from './storage.js';
import { type Watcher, type WatchSink, eventLine } from './watch-hub.js';

/** Default server-side watch timeout when the client gives none (the real default is 30-60 min). */
const DEFAULT_TIMEOUT_SECONDS = 1800;

/** Starts a watch stream on `r.res`. Errors before the stream starts are thrown as Statuses. */
export function handleWatch(r: ResourceRequest): void {
  const opts = parseListOptions(r.query, r.served, r.target.watchPrefix === true);
  if (opts.sendInitialEvents === true) {
    // Streaming lists are not served yet: the 422 makes client-go and friends fall back to list+watch.
    throw new StatusError(
      makeStatus(422, 'Invalid', 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is not supported by this server', {
        group: 'meta.k8s.io',
        kind: 'ListOptions',
        causes: [{ type: 'FieldValueForbidden', message: 'Forbidden: sendInitialEvents is not supported by this server', field: 'sendInitialEvents' }],
      }),
    );
  }
  const store = r.cluster.store(r.served);
  const namespace = r.served.type.namespaced ? r.target.namespace : undefined;
  let name: string | undefined;
  if (r.target.name !== undefined) name = r.target.name;
  const filter = opts.filter;
  const matches = (o: { metadata: { name?: string; namespace?: string } }) =>
    name === undefined || o.metadata.name === name;
  const fullFilter =
    name === undefined ? filter : filter ? (o: Parameters<NonNullable<typeof filter>>[0]) => matches(o) && filter(o) : matches;

  const res = r.res;
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  // Initial events: current state, or the history since the given revision.
  const lines: string[] = [];
  const rv = opts.resourceVersion;
  if (rv === undefined || rv === '0') {
    for (const stored of store.all(namespace)) {
      if (!fullFilter || fullFilter(stored.object)) lines.push(eventLine('ADDED', stored.json));
    }
  } else {
    let events: StoredEvent[];
    try {
      events = store.eventsSince(Number(rv));
    } catch (err) {
      const status = err instanceof StatusError ? err.status : toStatus(expired(String(err)));
      res.end(eventLine('ERROR', JSON.stringify(status)));
      return;
    }
    for (const e of events) {
      const line = replayLine(e, namespace, fullFilter);
      if (line) lines.push(line);
    }
  }
  writeBatched(res, lines);

  const sink: WatchSink = {
    write: (chunk) => {
      res.write(chunk);
    },
    cork: () => res.cork(),
    uncork: () => res.uncork(),
    end: () => res.end(),
    destroy: () => res.destroy(),
  };
  const watcher: Watcher = {
    resourceNames: resourceNames(r.served),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(fullFilter ? { filter: fullFilter } : {}),
    sink,
    sinceRule: 0,
    stalled: false,
    closed: false,
  };
  const hub = r.cluster.hub;
  const timers: NodeJS.Timeout[] = [];
  const bookmark = () => {
    if (watcher.closed || watcher.stalled) return;
    const object = {
      kind: r.served.type.kind,
      apiVersion: r.served.type.apiVersion,
      metadata: { resourceVersion: String(store.revision) },
    };
    hub.send(store, watcher, eventLine('BOOKMARK', JSON.stringify(object)));
  };
  watcher.onClose = () => {
    for (const t of timers) clearTimeout(t);
  };
  hub.add(store, watcher);
  const timeoutMs = (opts.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  timers.push(
    setTimeout(() => {
      if (opts.allowWatchBookmarks) bookmark();
      hub.close(store, watcher, false);
    }, timeoutMs),
  );
  if (opts.allowWatchBookmarks) {
    const interval = setInterval(bookmark, r.settings.bookmarkIntervalMs);
    timers.push(interval);
  }
  // `res` (not `req`) reports a gone client in Node (APISERVER-SPEC.md section 2).
  res.on('close', () => {
    if (!watcher.closed) {
      watcher.closed = true;
      hub.remove(store, watcher);
      watcher.onClose?.();
    }
  });
}

/** The line a replayed history event becomes for this watcher, with selector crossing. */
function replayLine(
  e: StoredEvent,
  namespace: string | undefined,
  filter: ((o: StoredEvent['object']['object']) => boolean) | undefined,
): string | undefined {
  const obj = e.object.object;
  if (namespace !== undefined && obj.metadata.namespace !== namespace) return undefined;
  if (!filter) return eventLine(e.type, e.object.json);
  const now = filter(obj);
  if (e.type === 'ADDED' || e.type === 'DELETED') return now ? eventLine(e.type, e.object.json) : undefined;
  const before = e.prev !== undefined && filter(e.prev.object);
  if (now && before) return eventLine('MODIFIED', e.object.json);
  if (now) return eventLine('ADDED', e.object.json);
  if (before && e.prev) {
    const prev = e.prev.object;
    return eventLine(
      'DELETED',
      JSON.stringify({ ...prev, metadata: { ...prev.metadata, resourceVersion: String(e.rv) } }),
    );
  }
  return undefined;
}

/** Writes many lines in chunks of about 64 KiB (one initial ADDED per object can be 100k lines). */
function writeBatched(res: ResourceRequest['res'], lines: string[]): void {
  let batch: string[] = [];
  let size = 0;
  for (const line of lines) {
    batch.push(line);
    size += line.length;
    if (size >= 65536) {
      res.write(batch.join(''));
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) res.write(batch.join(''));
}
