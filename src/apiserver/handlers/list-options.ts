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
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from '../../core/index.js';
import { badRequest } from '../errors/status-errors.js';
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
  if (rv !== null && rv !== '') {
    if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
    options.resourceVersion = rv;
  }
  const match = query.get('resourceVersionMatch');
  if (match) options.resourceVersionMatch = match;
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
