/**
 * WATCH: a chunked stream of events, one-line JSON (`application/json`) or length-prefixed
 * protobuf frames (`application/vnd.kubernetes.protobuf;stream=watch`) when Accept prefers
 * protobuf. Start: resourceVersion unset or "0" replays the current state as ADDED; N replays
 * history after N (410 as an ERROR event when compacted). The replay and the registration with
 * the hub happen in one tick, so no event can fall in between. Bookmarks (with
 * `allowWatchBookmarks`) come every `bookmarkIntervalMs` and just before `timeoutSeconds` ends
 * the stream cleanly. Streaming lists (`sendInitialEvents=true` with
 * `resourceVersionMatch=NotOlderThan`, the WatchList feature) send the current state as ADDED
 * in key order, then, with bookmarks, a BOOKMARK annotated `k8s.io/initial-events-end`, then the
 * changes. A watch from a revision the server has not reached yet is accepted (200) and waits:
 * it hears only events and bookmarks after that revision, and never a 504 (only GET and LIST
 * answer a too-new resourceVersion so).
 *
 * `timeoutSeconds` is honoured as `handlers/get.go` does: any int64, multiplied into a Go
 * duration with Go's wraparound; 0 or absent means the server's default; a negative duration
 * ends the stream at once. Every timer (bookmarks, the timeout) runs on the cluster's clock, so a
 * test with a manual clock moves them; delays longer than Node's timers hold are chained
 * (`http/long-timer.ts`).
 */
import type { CancelTimer, JsonObject, KubeObject, Status } from '../../core/index.js';
import { negotiate, type Representation } from '../codec/negotiation.js';
import { encodeProtobufObject, encodeProtobufWatchFrame, PROTOBUF_WATCH_MEDIA_TYPE } from '../codec/protobuf.js';
import { includeObjectOf, partialMetadata, tableJson } from '../codec/tables.js';
import {
  badRequest,
  expired,
  notAcceptable,
  qualifiedResource,
  StatusError,
  statusError,
  toStatus,
  WATCH_MEDIA_TYPES,
} from '../errors/status-errors.js';
import { setLongTimer } from '../http/long-timer.js';
import { secondsToGoDuration } from '../http/query.js';
import { WatchWriter } from '../http/watch-writer.js';
import { resourceNames } from '../served/served-types.js';
import type { StoredEvent, StoredObject } from '../storage/store.js';
import { eventLine, type Watcher, type WatchSink, withRevision } from '../storage/watch-hub.js';
import {
  defaultListOptions,
  type ListOptions,
  parseListOptions,
  parseResourceVersion,
  revisionNumber,
  validateListOptions,
} from './list-options.js';
import { DEFAULT_RESOURCE_VERSION_WAIT_MS, tooLargeResourceVersion } from './read.js';
import type { ResourceRequest } from './request.js';

/** Default server-side watch timeout when the client gives none (the real default is 30-60 min). */
const DEFAULT_TIMEOUT_SECONDS = 1800;

/**
 * How long a watch lasts, in ms: Go's `time.Duration(timeoutSeconds) * time.Second` (int64,
 * wrapping), the default when that is 0, and 0 (end at once) when it is negative.
 */
export function watchTimeoutMs(timeoutSeconds: bigint | undefined): number {
  const nanos = secondsToGoDuration(timeoutSeconds ?? 0n);
  if (nanos === 0n) return DEFAULT_TIMEOUT_SECONDS * 1000;
  if (nanos < 0n) return 0;
  return Number(nanos / 1_000_000n);
}

/** Where a watch's bytes go: text for JSON, latin1-held bytes for protobuf frames. */
interface StreamOut {
  write(chunk: string): boolean;
  end(chunk?: string): void;
  destroy(): void;
  once(event: 'drain', listener: () => void): unknown;
  readonly destroyed: boolean;
}

function streamOut(res: ResourceRequest['res'], encoding: 'utf8' | 'latin1'): StreamOut {
  return {
    write: (chunk) => res.write(chunk, encoding),
    end: (chunk) => (chunk === undefined ? res.end() : res.end(chunk, encoding)),
    destroy: () => res.destroy(),
    once: (event, listener) => res.once(event, listener),
    get destroyed() {
      return res.destroyed;
    },
  };
}

/** Protobuf frames of an event's object, by event type, shared by every protobuf watcher. */
const frames = new WeakMap<KubeObject, Map<string, string | null>>();

/** One protobuf frame as a latin1 string (the bytes as chars), or undefined without a protobuf form. */
function protobufFrame(type: string, object: KubeObject): string | undefined {
  let byType = frames.get(object);
  if (!byType) {
    byType = new Map();
    frames.set(object, byType);
  }
  let frame = byType.get(type);
  if (frame === undefined) {
    frame = encodeProtobufWatchFrame(type, object as unknown as JsonObject)?.toString('latin1') ?? null;
    byType.set(type, frame);
  }
  return frame ?? undefined;
}

/** The 422 of a watch from a resourceVersion that does not parse (`InterpretWatchError`). */
function invalidWatchResourceVersion(r: ResourceRequest, fieldError: string): StatusError {
  const { group, plural } = r.served.type;
  const colon = fieldError.indexOf(': ');
  return statusError('Invalid', `${qualifiedResource({ group, plural })} "" is invalid: ${fieldError}`, {
    ...(group !== '' ? { group } : {}),
    kind: plural,
    causes: [{ reason: 'FieldValueInvalid', message: fieldError.slice(colon + 2), field: 'resourceVersion' }],
  });
}

/**
 * Starts a watch stream on `r.res`. Errors before the stream starts are thrown as Statuses.
 *
 * A streaming list from a resourceVersion not reached yet first waits for it, as the watch cache
 * does (`waitUntilWatchCacheFreshAndForceAllEvents`, up to `resourceVersionWaitMs`), so its
 * initial state is not older than asked; when the wait runs out, the watch is answered with the
 * 504 `ResourceVersionTooLarge` as its one ERROR event (the cacher's error watcher), which
 * client-go's reflector reads to stream again from the current state.
 */
export function handleWatch(r: ResourceRequest): void | Promise<void> {
  const opts: ListOptions = parseListOptions(r.query, r.served, true);
  if (r.target.name !== undefined && opts.fieldSelector && !opts.fieldSelector.isEmpty()) {
    // A named watch (`/watch/.../{name}`) takes only a selector of that name
    // (`RequiresExactMatch("metadata.name")`: the first `metadata.name=` term).
    const term = opts.fieldSelector.requirements.find((t) => t.field === 'metadata.name' && t.operator === '=');
    if (term?.value !== r.target.name) throw badRequest("fieldSelector metadata.name doesn't match requested name");
  }
  defaultListOptions(opts, r.settings.watchList);
  validateListOptions(opts, r.settings.watchList);
  const rvNumber = revisionNumber(
    parseResourceVersion(opts.resourceVersion, (text) => invalidWatchResourceVersion(r, text)),
  );
  const streaming = opts.sendInitialEvents === true;
  let rep: Representation = r.representation;
  if (streaming && opts.allowWatchBookmarks && rep.kind === 'table') {
    // A streaming list has no Table form (`watchListEndpointRestrictions`): the next choice.
    const next = negotiate(r.req.headers.accept, { protobuf: !r.served.custom, watchList: true });
    if (!next) throw notAcceptable();
    rep = next;
  }
  // The stream is negotiated as the GET was (`NegotiateOutputMediaTypeStream`): a clause that
  // picked YAML, which has no stream form, is refused even if a later one would stream.
  if (rep.encoding === 'yaml') throw notAcceptable(WATCH_MEDIA_TYPES);
  const store = r.cluster.store(r.served);
  if (streaming && rvNumber > store.revision) {
    const gone = new AbortController();
    const onClose = (): void => gone.abort();
    r.res.once('close', onClose);
    const waitMs = r.settings.resourceVersionWaitMs ?? DEFAULT_RESOURCE_VERSION_WAIT_MS;
    return store.waitForRevision(rvNumber, waitMs, r.cluster.clock, gone.signal).then((reached) => {
      r.res.off('close', onClose);
      if (gone.signal.aborted) return;
      const failure = reached ? undefined : tooLargeResourceVersion(rvNumber, store.revision).status;
      streamWatch(r, opts, rvNumber, rep, failure);
    });
  }
  streamWatch(r, opts, rvNumber, rep);
}

/** The stream of a watch whose options are checked; `failure` ends it at once as an ERROR event. */
function streamWatch(
  r: ResourceRequest,
  opts: ListOptions,
  rvNumber: number,
  rep: Representation,
  failure?: Status,
): void {
  const streaming = opts.sendInitialEvents === true;
  const store = r.cluster.store(r.served);
  const namespace = r.served.type.namespaced ? r.target.namespace : undefined;
  let name: string | undefined;
  if (r.target.name !== undefined) name = r.target.name;
  const filter = opts.filter;
  const matches = (o: { metadata: { name?: string; namespace?: string } }) =>
    name === undefined || o.metadata.name === name;
  const fullFilter =
    name === undefined
      ? filter
      : filter
        ? (o: Parameters<NonNullable<typeof filter>>[0]) => matches(o) && filter(o)
        : matches;

  const res = r.res;
  const hub = r.cluster.hub;
  const protobuf = rep.encoding === 'protobuf';
  res.writeHead(200, {
    'Content-Type': protobuf ? PROTOBUF_WATCH_MEDIA_TYPE : 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  const out = streamOut(res, protobuf ? 'latin1' : 'utf8');
  const timeoutMs = watchTimeoutMs(opts.timeoutSeconds);
  if (timeoutMs === 0) {
    // A negative duration: the watch's context is over before it starts.
    out.end();
    return;
  }

  // Table, metadata-only, converted and protobuf watches render each event themselves; plain
  // JSON ones share lines.
  const include = includeObjectOf(r.query);
  let render: ((type: string, object: KubeObject, json: string) => string) | undefined;
  /** An event of an object the stream cannot encode ends the stream, as the server's encoder does. */
  let unencodable = false;
  if (protobuf) {
    const conversion = r.served.conversion;
    render = (type, object) => {
      let wire = object;
      if (rep.kind === 'metadata') wire = partialMetadata(object, rep.version) as unknown as KubeObject;
      else if (conversion && object.kind !== 'Status' && type !== 'BOOKMARK') wire = conversion.fromStorage(object);
      const frame = protobufFrame(type, wire);
      if (frame === undefined) {
        unencodable = true;
        return '';
      }
      return frame;
    };
  } else if (rep.kind === 'table') {
    const version = rep.version;
    let first = true;
    render = (type, object, json) => {
      if (type === 'ERROR' || type === 'BOOKMARK') return eventLine(type, json);
      const table = tableJson(
        r.served,
        [{ object, json }],
        { resourceVersion: String(object.metadata.resourceVersion ?? '') },
        {
          version,
          include,
          headers: first,
          now: r.cluster.now(),
        },
      );
      first = false;
      return eventLine(type, table);
    };
  } else if (rep.kind === 'metadata') {
    const version = rep.version;
    render = (type, object, json) =>
      type === 'ERROR' || type === 'BOOKMARK'
        ? eventLine(type, json)
        : eventLine(type, JSON.stringify(partialMetadata(object, version)));
  } else if (r.served.conversion) {
    const conversion = r.served.conversion;
    render = (type, object, json) => {
      if (type === 'ERROR' || type === 'BOOKMARK') return eventLine(type, json);
      try {
        return eventLine(type, JSON.stringify(conversion.fromStorage(object)));
      } catch (err) {
        // A converter that fails (custom resources converted in-process) fails the event, not the server.
        return eventLine('ERROR', JSON.stringify(toStatus(err)));
      }
    };
  }
  const line = (type: string, stored: { object: KubeObject; json: string }) =>
    render ? render(type, stored.object, stored.json) : eventLine(type, stored.json);
  /** A line for a plain object (a Status, a bookmark). */
  const objectLine = (type: string, object: object) => {
    const json = JSON.stringify(object);
    return line(type, { object: object as KubeObject, json });
  };
  const endWithError = (status: object) => {
    const chunk = objectLine('ERROR', status);
    out.end(unencodable ? undefined : chunk);
  };
  if (failure) {
    endWithError(failure);
    return;
  }

  // Initial events: current state, or the history since the given revision.
  const lines: string[] = [];
  const initial: StoredObject[] = [];
  const rv = opts.resourceVersion;
  if (opts.sendInitialEvents === false) {
    // NotOlderThan without initial events: changes after rv (or after now).
    if (rv !== undefined && rv !== '0') {
      try {
        for (const e of store.eventsSince(rvNumber)) {
          const replayed = replay(e, namespace, fullFilter);
          if (replayed) lines.push(line(replayed.type, replayed));
        }
      } catch (err) {
        endWithError(toStatus(err));
        return;
      }
    }
  } else if (rv === undefined || rv === '0' || streaming) {
    // A snapshot of the current state now (same tick as the registration below); its lines are
    // rendered as the socket takes them.
    for (const stored of store.all(namespace)) {
      if (!fullFilter || fullFilter(stored.object)) initial.push(stored);
    }
  } else {
    let events: StoredEvent[];
    try {
      events = store.eventsSince(rvNumber);
    } catch (err) {
      const status = err instanceof StatusError ? err.status : toStatus(expired(String(err)));
      endWithError(status);
      return;
    }
    for (const e of events) {
      const replayed = replay(e, namespace, fullFilter);
      if (replayed) lines.push(line(replayed.type, replayed));
    }
  }
  if (streaming && opts.allowWatchBookmarks) {
    // The end of the initial state: a bookmark at the current revision (KEP-3157 streaming lists).
    lines.push(objectLine('BOOKMARK', initialEventsEnd(r, String(store.revision), rep)));
  }
  // Live lines go through a coalescing writer: one chunk per tick, held while the socket drains.
  // A watcher that falls too far behind is ended as the real server ends unresponsive watchers.
  const writer = new WatchWriter(out, () => hub.close(store, watcher, false));
  // Live events that come while a big initial state is still being written wait here, in order.
  let backlog: string[] | undefined;
  let endAfterBacklog = false;
  if (initial.length > PUMP_INITIAL_ITEMS) {
    backlog = [];
    pumpInitial(
      out,
      initial,
      (stored) => line('ADDED', stored),
      lines,
      () => {
        const pending = backlog ?? [];
        backlog = undefined;
        if (pending.length > 0) writer.write(pending.join(''));
        if (endAfterBacklog) writer.end();
      },
    );
  } else {
    writeBatched(out, initial.length > 0 ? [...initial.map((stored) => line('ADDED', stored)), ...lines] : lines);
  }
  if (unencodable) {
    out.end();
    return;
  }

  const sink: WatchSink = {
    write: (chunk) => {
      if (unencodable) {
        // An object without a wire form: the stream ends here (the client watches again).
        hub.close(store, watcher, false);
        return;
      }
      if (backlog) backlog.push(chunk);
      else writer.write(chunk);
    },
    end: () => {
      if (backlog) endAfterBacklog = true;
      else writer.end();
    },
    destroy: () => writer.destroy(),
  };
  const watcher: Watcher = {
    resourceNames: resourceNames(r.served),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(fullFilter ? { filter: fullFilter } : {}),
    // From a revision not reached yet: the real server sends only events after it.
    ...(!streaming && rv !== undefined && rvNumber > store.revision ? { afterRevision: rvNumber } : {}),
    sink,
    ...(render ? { render } : {}),
    sinceRule: 0,
    stalled: false,
    closed: false,
  };
  // Timers run on the cluster's clock: a test with a manual clock moves bookmarks and timeouts too.
  const clock = r.cluster.clock;
  const timers: CancelTimer[] = [];
  const bookmark = () => {
    if (watcher.closed || watcher.stalled) return;
    // A watch from a revision not reached yet hears no bookmark below it: the real server's
    // cacheWatcher only sends events (bookmarks too) newer than the revision it was asked for.
    if (watcher.afterRevision !== undefined && store.revision < watcher.afterRevision) return;
    const object = {
      kind: r.served.type.kind,
      apiVersion: r.served.type.apiVersion,
      metadata: { resourceVersion: String(store.revision) },
    };
    hub.send(store, watcher, objectLine('BOOKMARK', object));
  };
  watcher.onClose = () => {
    for (const cancel of timers) cancel();
  };
  hub.add(store, watcher);
  timers.push(
    setLongTimer(
      clock,
      () => {
        if (opts.allowWatchBookmarks) bookmark();
        hub.close(store, watcher, false);
      },
      timeoutMs,
    ),
  );
  if (opts.allowWatchBookmarks) {
    const every = r.settings.bookmarkIntervalMs;
    let cancelNext = () => {};
    const tick = () => {
      if (watcher.closed) return;
      bookmark();
      cancelNext = clock.setTimer(tick, every);
    };
    cancelNext = clock.setTimer(tick, every);
    timers.push(() => cancelNext());
  }
  // `res` (not `req`) reports a gone client in Node: `req` closes as soon as its body is read.
  res.on('close', () => {
    if (!watcher.closed) {
      watcher.closed = true;
      hub.remove(store, watcher);
      watcher.onClose?.();
    }
  });
}

/**
 * The empty list a streaming list's client builds its result on (`response.go`
 * `watchListTransformer`), encoded as the stream's objects are: protobuf for a protobuf stream
 * (client-go decodes it with the stream's decoder), JSON as encoding/json writes the Go list, or
 * as the unstructured encoder writes a custom resource's list.
 */
function listBlueprint(r: ResourceRequest, rep: Representation): Buffer {
  const { listKind, apiVersion } = r.served.type;
  const list: JsonObject =
    rep.kind === 'metadata'
      ? { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${rep.version}`, metadata: {}, items: null }
      : r.served.custom
        ? { apiVersion, items: [], kind: listKind }
        : { kind: listKind, apiVersion, metadata: {}, items: null };
  if (rep.encoding === 'protobuf') {
    const encoded = encodeProtobufObject(list);
    if (encoded) return encoded;
  }
  return Buffer.from(`${JSON.stringify(list)}\n`);
}

/** The bookmark that ends the initial events of a streaming list. */
function initialEventsEnd(r: ResourceRequest, resourceVersion: string, rep: Representation): Record<string, unknown> {
  const blueprint = listBlueprint(r, rep);
  return {
    kind: r.served.type.kind,
    apiVersion: r.served.type.apiVersion,
    metadata: {
      resourceVersion,
      annotations: {
        'k8s.io/initial-events-end': 'true',
        'kubernetes.io/initial-events-list-blueprint': blueprint.toString('base64'),
      },
    },
  };
}

/** What a replayed history event becomes for this watcher, with selector crossing. */
function replay(
  e: StoredEvent,
  namespace: string | undefined,
  filter: ((o: KubeObject) => boolean) | undefined,
): { type: string; object: KubeObject; json: string } | undefined {
  const obj = e.object.object;
  if (namespace !== undefined && obj.metadata.namespace !== namespace) return undefined;
  const same = (type: string) => ({ type, object: obj, json: e.object.json });
  if (!filter) return same(e.type);
  const now = filter(obj);
  if (e.type === 'ADDED' || e.type === 'DELETED') return now ? same(e.type) : undefined;
  const before = e.prev !== undefined && filter(e.prev.object);
  if (now) return same(before ? 'MODIFIED' : 'ADDED');
  if (before && e.prev) return { type: 'DELETED', ...withRevision(e.prev.object, e.rv) };
  return undefined;
}

/** Initial states bigger than this are written as the socket drains instead of in one tick. */
const PUMP_INITIAL_ITEMS = 1000;

/** Objects per chunk of a pumped initial state: about 1 MB for ~1 KB objects. */
const PUMP_CHUNK_ITEMS = 1000;

/**
 * Writes the initial state as ADDED lines, a chunk at a time, rendering the next chunk only when
 * the socket took the previous one: the first bytes leave at once (a streaming-list client
 * parses while the server still writes) and memory stays at a chunk or two, not the whole state.
 * Then writes `after` (the initial-events-end bookmark) and calls `done`.
 *
 * @remarks A client that goes away stops the pump; `done` is not called then.
 */
function pumpInitial(
  res: StreamOut,
  items: readonly StoredObject[],
  render: (stored: StoredObject) => string,
  after: readonly string[],
  done: () => void,
): void {
  let i = 0;
  const parts: string[] = [];
  const step = (): void => {
    while (i < items.length) {
      if (res.destroyed) return;
      const end = Math.min(items.length, i + PUMP_CHUNK_ITEMS);
      parts.length = 0;
      for (; i < end; i++) parts.push(render(items[i]));
      if (!res.write(parts.join(''))) {
        res.once('drain', step);
        return;
      }
    }
    if (res.destroyed) return;
    if (after.length > 0) res.write(after.join(''));
    done();
  };
  step();
}

/** Writes many lines in chunks of about 64 KiB (one initial ADDED per object can be 100k lines). */
function writeBatched(res: StreamOut, lines: string[]): void {
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
