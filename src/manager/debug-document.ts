/**
 * The `/debug/kloop` document (`mgr.describe()`): its shape, which a dashboard may rely on (fields
 * are only added), and how the endpoint's query (`?controller=&key=&result=&limit=`) becomes a
 * filter of the controllers and their debug records.
 */
import type { CacheOptions, InformerDescription } from '../cache/index.js';
import type {
  ControllerDescription,
  HotLoopRecord,
  ReconcileOutcome,
  ReconcileRecord,
  ReconcileRecordFilter,
} from '../controller/index.js';

/** One controller in the `/debug/kloop` document. */
export type ControllerDebugDescription = ControllerDescription & {
  running: boolean;
  queue: {
    depth: number;
    waiting: number;
    inFlight: Array<{ key: string; triggers: unknown[]; totalTriggers: number }>;
  };
  /** The debug record: the last reconciles, oldest first, filtered as asked. */
  reconciles: readonly ReconcileRecord[];
  /** Hot loops found (the last 20, oldest first), filtered by `key` when asked. */
  hotLoops: HotLoopRecord[];
};

/** What `mgr.describe()` returns: the `/debug/kloop` document. */
export interface ManagerDescription {
  started: boolean;
  identity?: string;
  /**
   * Leader election: this replica's state. A follower (`leading: false`) with `warmStandby` keeps
   * its controllers' informers synced (see `informers`) while none of its controllers runs.
   */
  leaderElection?: {
    lease: string;
    leading: boolean;
    canWrite: boolean;
    leader: string | undefined;
    warmStandby: boolean;
  };
  sharding?: {
    shards: number;
    members: readonly string[];
    held: number[];
    skippedNotOwned: number;
    mismatchedMembers: readonly string[];
  };
  controllers: ControllerDebugDescription[];
  /** Every informer that lists and watches, with its scope (`factory.describe()`). */
  informers: InformerDescription[];
  /** The cache's scope, when set (transforms shown by name). */
  cache?: unknown;
  /** Resource types the server does not serve, with the fix. */
  missingTypes?: Array<{ type: string; message: string }>;
  /** The filter applied to `controllers` and their records, when one was given. */
  filter?: ReconcileRecordFilter;
  collections?: unknown;
  [section: string]: unknown;
}

const OUTCOMES: readonly ReconcileOutcome[] = [
  'success',
  'requeue_after',
  'error',
  'conflict',
  'terminal_error',
  'timeout',
];

/** `?controller=&key=&result=a,b&limit=` of `/debug/kloop` as a record filter. */
export function filterFromQuery(query: URLSearchParams): ReconcileRecordFilter {
  const filter: ReconcileRecordFilter = {};
  const controller = query.get('controller');
  if (controller) filter.controller = controller;
  const key = query.get('key');
  if (key) filter.key = key;
  const result = query.get('result');
  if (result) {
    const asked = result.split(',').map((r) => r.trim());
    // An unknown result matches nothing rather than being dropped (which would match everything).
    filter.result = asked.filter((r): r is ReconcileOutcome => (OUTCOMES as readonly string[]).includes(r));
  }
  const limit = Number(query.get('limit'));
  if (query.has('limit') && Number.isInteger(limit) && limit >= 0) filter.limit = limit;
  return filter;
}

/** The cache scope as data: types by name, transforms by function name. */
export function describeScope(scope: CacheOptions): unknown {
  const fn = (f: unknown) => (typeof f === 'function' ? f.name || 'transform' : undefined);
  return {
    defaultNamespaces: scope.defaultNamespaces,
    defaultLabelSelector: scope.defaultLabelSelector,
    defaultFieldSelector: scope.defaultFieldSelector,
    defaultTransform: fn(scope.defaultTransform),
    byType: scope.byType?.map((e) => ({
      type: `${e.type.apiVersion}/${e.type.kind}`,
      namespaces: e.namespaces,
      labelSelector: e.labelSelector,
      fieldSelector: e.fieldSelector,
      transform: fn(e.transform),
    })),
  };
}
