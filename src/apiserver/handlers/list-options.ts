/**
 * Query parameters of list and watch requests (`metav1.ListOptions`), parsed and checked, and
 * the object filter their selectors make. Field selectors know `metadata.name` and
 * `metadata.namespace` everywhere plus the type's own labels; any other field is a 400, as on the
 * real server.
 */
import {
  type FieldSelector,
  type KubeObject,
  type LabelSelector,
  makeStatus,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from '../../core/index.js';
import { badRequest, invalid, StatusError } from '../errors/status-errors.js';
import type { ServedType } from '../served/served-types.js';

/** Parsed `ListOptions`. */
export interface ListOptions {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks: boolean;
  sendInitialEvents?: boolean;
  watch: boolean;
  /** The object filter of the selectors; undefined when there are none. */
  filter?: (object: KubeObject) => boolean;
}

function bool(v: string | null): boolean {
  return v === 'true' || v === '1';
}

function nonNegativeInt(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(raw)}: must be an integer`);
  const n = Number(raw);
  return n < 0 ? undefined : n;
}

const MAX_UINT64 = 18446744073709551615n;

/**
 * A resourceVersion as the API server parses it (`APIObjectVersioner.ParseResourceVersion`,
 * `strconv.ParseUint(s, 10, 64)`): its value, or the field error it fails with, e.g.
 * `resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax`.
 */
export function parseResourceVersion(text: string): { value: bigint } | { error: string } {
  let why: string | undefined;
  if (!/^[0-9]+$/.test(text)) why = 'invalid syntax';
  else if (BigInt(text) > MAX_UINT64) why = 'value out of range';
  if (why === undefined) return { value: BigInt(text) };
  const quoted = JSON.stringify(text);
  return { error: `Invalid value: ${quoted}: strconv.ParseUint: parsing ${quoted}: ${why}` };
}

/**
 * The answer to a resourceVersion that does not parse, by where upstream parses it: the watch
 * cache returns the storage error as it is (500, no reason: GET, and LISTs it serves); etcd wraps
 * it in a 400 (`invalid resource version: ...`, LISTs it serves: Exact, a limit without a match,
 * continue pages); a WATCH gets a 422 naming the collection "" (`InterpretWatchError`).
 */
export function unparsedResourceVersion(
  error: string,
  where: 'cache' | 'etcd' | 'watch',
  served: ServedType,
): StatusError {
  const field = `resourceVersion: ${error}`;
  if (where === 'etcd') return badRequest(`invalid resource version: ${field}`);
  if (where === 'watch') {
    const ref = { group: served.type.group, plural: served.type.plural, kind: served.type.plural };
    return invalid(ref, '', [{ reason: 'FieldValueInvalid', message: error, field: 'resourceVersion' }]);
  }
  // apiserver's ErrorToAPIStatus: a non-Status error is a 500 whose reason is empty (omitted).
  const status = makeStatus(500, '', field);
  delete status.reason;
  return new StatusError(status);
}

/** Reads a field of an object for the field selector; values are compared as strings. */
export function fieldGetter(served: ServedType, object: KubeObject): (field: string) => string | undefined {
  return (field) => {
    if (field === 'metadata.name') return object.metadata.name;
    if (field === 'metadata.namespace') return object.metadata.namespace ?? '';
    const path = served.fieldLabels?.[field];
    if (!path) return undefined;
    let v: unknown = object;
    for (const p of path) {
      if (v === null || typeof v !== 'object') return '';
      v = (v as Record<string, unknown>)[p];
    }
    if (v === undefined || v === null) return '';
    return typeof v === 'string' ? v : JSON.stringify(v);
  };
}

/** Parses list/watch query parameters for a served type; throws 400 Statuses for bad ones. */
export function parseListOptions(query: URLSearchParams, served: ServedType, watchPath = false): ListOptions {
  const options: ListOptions = {
    allowWatchBookmarks: bool(query.get('allowWatchBookmarks')),
    watch: watchPath || bool(query.get('watch')),
  };
  const labelText = query.get('labelSelector');
  const fieldText = query.get('fieldSelector');
  try {
    if (labelText) options.labelSelector = parseLabelSelector(labelText);
    if (fieldText) options.fieldSelector = parseFieldSelector(fieldText);
  } catch (err) {
    if (err instanceof SelectorError) {
      throw badRequest(`unable to parse requirement: ${err.message}`);
    }
    throw err;
  }
  if (options.fieldSelector) {
    for (const r of options.fieldSelector.requirements) {
      if (r.field === 'metadata.name' || r.field === 'metadata.namespace') continue;
      if (served.fieldLabels?.[r.field]) continue;
      throw badRequest(`field label not supported: ${r.field}`);
    }
  }
  const limit = nonNegativeInt(query, 'limit');
  if (limit !== undefined && limit > 0) options.limit = limit;
  const cont = query.get('continue');
  if (cont) options.continueToken = cont;
  const rv = query.get('resourceVersion');
  const match = query.get('resourceVersionMatch');
  if (match) options.resourceVersionMatch = match;
  if (rv !== null && rv !== '') {
    const parsed = parseResourceVersion(rv);
    if ('error' in parsed) {
      // Where 1.33 sends the request (cacher/delegator.go `shouldDelegateList`) says who parses it.
      const toEtcd =
        cont !== null && cont !== ''
          ? true
          : match === 'Exact' || (!match && options.limit !== undefined && rv !== '0');
      throw unparsedResourceVersion(parsed.error, options.watch ? 'watch' : toEtcd ? 'etcd' : 'cache', served);
    }
    options.resourceVersion = rv;
  }
  const timeout = nonNegativeInt(query, 'timeoutSeconds');
  if (timeout !== undefined) options.timeoutSeconds = timeout;
  const sie = query.get('sendInitialEvents');
  if (sie !== null && sie !== '') options.sendInitialEvents = bool(sie);
  const labels = options.labelSelector && !options.labelSelector.isEmpty() ? options.labelSelector : undefined;
  const fields = options.fieldSelector && !options.fieldSelector.isEmpty() ? options.fieldSelector : undefined;
  if (labels && fields) {
    options.filter = (o) => labels.matches(o.metadata.labels) && fields.matches(fieldGetter(served, o));
  } else if (labels) {
    options.filter = (o) => labels.matches(o.metadata.labels);
  } else if (fields) {
    options.filter = (o) => fields.matches(fieldGetter(served, o));
  }
  return options;
}

/** A namespace pinned by a `metadata.namespace=X` field selector (cluster-wide path), if any. */
export function hasSelectors(options: ListOptions): boolean {
  return options.filter !== undefined;
}
