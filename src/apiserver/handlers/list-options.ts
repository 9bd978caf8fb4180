/**
 * Query parameters of list and watch requests (`metav1.ListOptions`), parsed as the API server's
 * `url.Values` conversion parses them (first value of a repeated parameter; loose booleans;
 * `strconv.ParseInt` integers whose error text is the 400), defaulted and validated as
 * `metainternalversion` does (every error in one 422 `ListOptions.meta.k8s.io "" is invalid`),
 * and the object filter their selectors make. Field selectors know `metadata.name` and
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
import { badRequest, StatusError } from '../errors/status-errors.js';
import { goParseUint64, queryBool, queryInt64, queryOptionalBool } from '../http/query.js';
import type { ServedType } from '../served/served-types.js';
import { forbiddenField, invalidOptions, notSupportedField, type OptionsFieldError, parseQuery } from './options.js';

/** Parsed `ListOptions`. */
export interface ListOptions {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  limit?: number;
  continueToken?: string;
  /** As sent; undefined when absent or empty (the most recent). */
  resourceVersion?: string;
  resourceVersionMatch?: string;
  /** As sent (int64): any size, negative included; the watch handler turns it into a duration as Go does. */
  timeoutSeconds?: bigint;
  allowWatchBookmarks: boolean;
  sendInitialEvents?: boolean;
  watch: boolean;
  /** The object filter of the selectors; undefined when there are none. */
  filter?: (object: KubeObject) => boolean;
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
  // The conversion's order: the first parameter that does not parse is the one reported.
  const options = parseQuery((): ListOptions => {
    const out: ListOptions = {
      watch: watchPath || queryBool(query, 'watch'),
      allowWatchBookmarks: queryBool(query, 'allowWatchBookmarks'),
    };
    const rv = query.get('resourceVersion');
    if (rv !== null && rv !== '') out.resourceVersion = rv;
    const match = query.get('resourceVersionMatch');
    if (match !== null && match !== '') out.resourceVersionMatch = match;
    const timeout = queryInt64(query, 'timeoutSeconds');
    if (timeout !== undefined) out.timeoutSeconds = timeout;
    const limit = queryInt64(query, 'limit');
    if (limit !== undefined && limit > 0n)
      out.limit = limit > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(limit);
    const cont = query.get('continue');
    if (cont) out.continueToken = cont;
    const initial = queryOptionalBool(query, 'sendInitialEvents');
    if (initial !== undefined) out.sendInitialEvents = initial;
    return out;
  });
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

/**
 * `SetListOptionsDefaults` with the WatchList feature on: a watch from "now" or "any" (`""`,
 * `"0"`) that says nothing about initial events streams them (`sendInitialEvents=true`,
 * `resourceVersionMatch=NotOlderThan`), which is what such a watch sent anyway, with the
 * initial-events-end bookmark when bookmarks are allowed.
 */
export function defaultListOptions(options: ListOptions, watchList: boolean): void {
  if (!watchList || options.sendInitialEvents !== undefined || options.resourceVersionMatch !== undefined) return;
  if (options.watch && (options.resourceVersion === undefined || options.resourceVersion === '0')) {
    options.sendInitialEvents = true;
    options.resourceVersionMatch = 'NotOlderThan';
  }
}

/**
 * `ValidateListOptions` (apimachinery `apis/meta/internalversion/validation`): every error of a
 * list's or a watch's options in one 422. `watchList` is the WatchList feature: off, as in a
 * Kubernetes 1.33 server's defaults, `sendInitialEvents` on a watch is refused and clients fall
 * back to list and watch.
 */
export function validateListOptions(options: ListOptions, watchList: boolean): void {
  const errors: OptionsFieldError[] = [];
  const match = options.resourceVersionMatch;
  if (options.watch) {
    if (options.sendInitialEvents !== undefined) {
      if (match !== 'NotOlderThan') {
        errors.push(
          forbiddenField(
            'resourceVersionMatch',
            'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
          ),
        );
      }
      if (!watchList) {
        errors.push(
          forbiddenField(
            'sendInitialEvents',
            'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
          ),
        );
      }
    }
    if (match !== undefined) {
      if (options.sendInitialEvents === undefined) {
        errors.push(
          forbiddenField(
            'resourceVersionMatch',
            'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
          ),
        );
      }
      if (match !== 'NotOlderThan') {
        errors.push(notSupportedField('resourceVersionMatch', JSON.stringify(match), ['NotOlderThan']));
      }
      if (options.continueToken !== undefined) {
        errors.push(
          forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'),
        );
      }
    }
  } else {
    if (match !== undefined) {
      if (options.resourceVersion === undefined) {
        errors.push(
          forbiddenField(
            'resourceVersionMatch',
            'resourceVersionMatch is forbidden unless resourceVersion is provided',
          ),
        );
      }
      if (options.continueToken !== undefined) {
        errors.push(
          forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'),
        );
      }
      if (match !== 'Exact' && match !== 'NotOlderThan') {
        errors.push(notSupportedField('resourceVersionMatch', JSON.stringify(match), ['Exact', 'NotOlderThan', '']));
      }
      if (match === 'Exact' && options.resourceVersion === '0') {
        errors.push(
          forbiddenField('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'),
        );
      }
    }
    if (options.sendInitialEvents !== undefined) {
      errors.push(forbiddenField('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
    }
  }
  if (errors.length > 0) throw invalidOptions('ListOptions', errors);
}

/**
 * A resourceVersion as the storage versioner parses it (`ParseResourceVersion`): `""` and `"0"`
 * are 0; anything else must be a decimal uint64.
 *
 * @throws StatusError shaped by `fail` from the field error text (`resourceVersion: Invalid
 * value: "abc": strconv.ParseUint: parsing "abc": invalid syntax`): LIST wraps it in a 400,
 * WATCH in a 422, GET answers it as a 500.
 */
export function parseResourceVersion(rv: string | undefined, fail: (fieldError: string) => StatusError): number {
  if (rv === undefined || rv === '' || rv === '0') return 0;
  try {
    const value = goParseUint64(rv);
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
  } catch (err) {
    if (err instanceof StatusError) throw err;
    throw fail(`resourceVersion: Invalid value: ${JSON.stringify(rv)}: ${(err as Error).message}`);
  }
}
