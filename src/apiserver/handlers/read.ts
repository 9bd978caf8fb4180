/**
 * GET of one object and LIST of a collection. Lists are built by concatenating the stored JSON
 * of each item (never serializing an object again), paginated with continue tokens that keep
 * the first page's revision, and ordered by namespace/name like etcd keys.
 */
import { makeStatus } from '../../core/index.js';
import { includeObjectOf, partialMetadata, tableJson } from '../codec/tables.js';
import { badRequest, StatusError, statusError } from '../errors/status-errors.js';
import type { ServedType } from '../served/served-types.js';
import { decodeContinue, encodeContinue } from '../storage/continue-token.js';
import type { StoredObject } from '../storage/store.js';
import { type ListOptions, parseListOptions, parseResourceVersion, validateListOptions } from './list-options.js';
import type { HandlerResult, ResourceRequest } from './request.js';

/** GET /.../{plural}/{name}[/status]. */
export function handleGet(r: ResourceRequest): HandlerResult | Promise<HandlerResult> {
  // A resourceVersion that does not parse fails in the storage layer, outside any API error:
  // the server answers 500 with the field error as the message.
  const asked = parseResourceVersion(
    r.query.get('resourceVersion') ?? undefined,
    (text) => new StatusError(makeStatus(500, '', text)),
  );
  // A get at resourceVersion N is served by the watch cache once it reached N.
  const waiting = untilRevision(r, asked);
  return waiting ? waiting.then(() => getNow(r)) : getNow(r);
}

function getNow(r: ResourceRequest): HandlerResult {
  const name = r.target.name ?? '';
  const stored = r.cluster.getOrThrow(r.served, r.target.namespace, name);
  const rep = r.representation;
  if (rep.kind === 'table') {
    const json = tableJson(
      r.served,
      [stored],
      { resourceVersion: String(stored.rv) },
      {
        version: rep.version,
        include: includeObjectOf(r.query),
        now: r.cluster.now(),
      },
    );
    return { code: 200, json };
  }
  if (rep.kind === 'metadata') return { code: 200, json: JSON.stringify(partialMetadata(stored.object, rep.version)) };
  const conversion = r.served.conversion;
  if (conversion) return { code: 200, json: JSON.stringify(conversion.fromStorage(stored.object)) };
  return { code: 200, body: stored };
}

/** How long a read at a future resourceVersion waits by default (the watch cache's `blockTimeout`). */
export const DEFAULT_RESOURCE_VERSION_WAIT_MS = 3000;

/**
 * A read at a resourceVersion beyond the current revision, as the watch cache serves it: wait
 * on the cluster's clock up to `resourceVersionWaitMs` (3 s upstream, `blockTimeout` in
 * apiserver's `storage/cacher/watch_cache.go`) for a write to reach it, then 504. Undefined
 * when there is nothing to wait for (`asked` is the parsed resourceVersion, 0 when unset or
 * "0", or already reached).
 */
function untilRevision(r: ResourceRequest, asked: number): Promise<void> | undefined {
  const store = r.cluster.store(r.served);
  if (asked <= store.revision) return undefined;
  // A client that goes away stops the wait (and its timer) at once.
  const gone = new AbortController();
  const onClose = (): void => gone.abort();
  r.res.once('close', onClose);
  const waitMs = r.settings.resourceVersionWaitMs ?? DEFAULT_RESOURCE_VERSION_WAIT_MS;
  return store.waitForRevision(asked, waitMs, r.cluster.clock, gone.signal).then((reached) => {
    r.res.off('close', onClose);
    if (!reached) throw tooLargeResourceVersion(asked, store.revision);
  });
}

/**
 * The 504 for a resourceVersion the server has not reached, exactly as upstream words it
 * (apiserver `storage/errors.go` `NewTooLargeResourceVersionError`, through
 * `apierrors.NewTimeoutError`, which prefixes "Timeout: "). The cause is what client-go's
 * reflector looks for to relist with a consistent read.
 */
export function tooLargeResourceVersion(asked: number, current: number): StatusError {
  return statusError('Timeout', `Timeout: Too large resource version: ${asked}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

/**
 * The JSON of a list item. Built-in list items carry no apiVersion/kind on the real server;
 * stored JSON starts with exactly those two fields, so they are cut off without re-serializing.
 */
export function itemJson(served: ServedType, stored: StoredObject, prefix: string): string {
  if (served.custom || !stored.json.startsWith(prefix)) return stored.json;
  return `{${stored.json.slice(prefix.length)}`;
}

/** The `{"apiVersion":..,"kind":..,` prefix of a type's stored JSON. */
export function typePrefix(served: ServedType): string {
  return `{"apiVersion":${JSON.stringify(served.type.apiVersion)},"kind":${JSON.stringify(served.type.kind)},`;
}

/** Lists of more items than this are streamed in chunks instead of built as one string. */
export const STREAM_LIST_ITEMS = 2000;

/** Items per chunk of a streamed list: about 1 MB for 500-byte objects, few writes, small peaks. */
const CHUNK_ITEMS = 1000;

/**
 * A list's JSON as chunks, for lists too big to build as one string (100k objects are ~100 MB).
 * Each chunk joins the cached JSON of {@link CHUNK_ITEMS} items: no per-item work beyond the
 * concatenation, and the server writes each chunk as the socket drains, so a list never holds
 * its whole body in memory twice (string and UTF-8 bytes).
 */
export function* listChunks(
  served: ServedType,
  items: readonly StoredObject[],
  meta: { resourceVersion: string; continue?: string; remainingItemCount?: number },
): Generator<string> {
  const kind = served.type.listKind;
  const head = `{"kind":${JSON.stringify(kind)},"apiVersion":${JSON.stringify(served.type.apiVersion)},"metadata":${JSON.stringify(meta)},"items":[`;
  const prefix = typePrefix(served);
  const parts: string[] = [];
  for (let start = 0; start < items.length; start += CHUNK_ITEMS) {
    const end = Math.min(items.length, start + CHUNK_ITEMS);
    parts.length = 0;
    for (let i = start; i < end; i++) parts.push(itemJson(served, items[i], prefix));
    const body = parts.join(',');
    yield start === 0 ? head + body : `,${body}`;
  }
  if (items.length === 0) yield head;
  yield ']}';
}

/** Builds a list's JSON from stored items. */
export function listJson(
  served: ServedType,
  items: readonly StoredObject[],
  meta: { resourceVersion: string; continue?: string; remainingItemCount?: number },
): string {
  const prefix = typePrefix(served);
  const parts: string[] = new Array(items.length);
  const conversion = served.conversion;
  for (let i = 0; i < items.length; i++) {
    if (conversion) {
      const converted = conversion.fromStorage(items[i].object);
      if (served.custom) parts[i] = JSON.stringify(converted);
      else {
        const { apiVersion: _a, kind: _k, ...rest } = converted;
        parts[i] = JSON.stringify(rest);
      }
    } else parts[i] = itemJson(served, items[i], prefix);
  }
  const kind = served.type.listKind;
  return `{"kind":${JSON.stringify(kind)},"apiVersion":${JSON.stringify(served.type.apiVersion)},"metadata":${JSON.stringify(meta)},"items":[${parts.join(',')}]}`;
}

/** LIST /.../{plural}. */
export function handleList(r: ResourceRequest, options?: ListOptions): HandlerResult | Promise<HandlerResult> {
  const opts = options ?? parseListOptions(r.query, r.served);
  validateListOptions(opts, r.settings.watchList);
  // NotOlderThan (or no match) at N waits for the cache to reach N. Exact reads go to etcd in
  // 1.33 (the cacher delegates them), which does not wait: answered below at once.
  if (opts.continueToken === undefined && opts.resourceVersionMatch !== 'Exact') {
    const asked = parseResourceVersion(opts.resourceVersion, invalidListResourceVersion);
    const waiting = untilRevision(r, asked);
    if (waiting) return waiting.then(() => listNow(r, opts));
  }
  return listNow(r, opts);
}

/** A LIST's resourceVersion that does not parse: the 400 the cacher's `ParseResourceVersion` error becomes. */
function invalidListResourceVersion(text: string): StatusError {
  return badRequest(`invalid resource version: ${text}`);
}

function listNow(r: ResourceRequest, opts: ListOptions): HandlerResult {
  const store = r.cluster.store(r.served);
  const namespace = r.served.type.namespaced ? r.target.namespace : undefined;
  let revision = store.revision;
  let startKey: string | undefined;
  const prefix = namespace ? `${namespace}/` : '';
  if (opts.continueToken) {
    const token = decodeContinue(opts.continueToken);
    if (opts.resourceVersion !== undefined && opts.resourceVersion !== '0') {
      throw badRequest('specifying resource version is not allowed when using continue');
    }
    revision = token.revision;
    startKey = prefix + token.start;
    if (revision > store.revision) throw badRequest('invalid continue token: resourceVersion is in the future');
  } else if (opts.resourceVersion !== undefined && opts.resourceVersion !== '0') {
    const asked = parseResourceVersion(opts.resourceVersion, invalidListResourceVersion);
    if (asked > store.revision) throw tooLargeResourceVersion(asked, store.revision);
    if (opts.resourceVersionMatch === 'Exact') revision = asked;
  }
  const page = store.list({
    ...(namespace !== undefined ? { namespace } : {}),
    ...(startKey !== undefined ? { startKey } : {}),
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    atRevision: revision,
    ...(opts.filter ? { filter: opts.filter } : {}),
    countRemaining: opts.filter === undefined,
  });
  const meta: { resourceVersion: string; continue?: string; remainingItemCount?: number } = {
    resourceVersion: String(revision),
  };
  if (page.nextKey !== undefined) {
    meta.continue = encodeContinue({ revision, start: page.nextKey.slice(prefix.length) });
    if (page.remaining !== undefined) meta.remainingItemCount = page.remaining;
  }
  const rep = r.representation;
  if (rep.kind === 'table') {
    return {
      code: 200,
      json: tableJson(r.served, page.items, meta, {
        version: rep.version,
        include: includeObjectOf(r.query),
        now: r.cluster.now(),
      }),
    };
  }
  if (rep.kind === 'metadata') {
    const items = page.items.map((s) => JSON.stringify(partialMetadata(s.object, rep.version)));
    return {
      code: 200,
      json: `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/${rep.version}","metadata":${JSON.stringify(meta)},"items":[${items.join(',')}]}`,
    };
  }
  if (page.items.length > STREAM_LIST_ITEMS && !r.served.conversion) {
    return { code: 200, chunks: listChunks(r.served, page.items, meta) };
  }
  return { code: 200, json: listJson(r.served, page.items, meta) };
}
