/**
 * The ClusterRole aggregation controller (kube-controller-manager's `clusterrole-aggregation`,
 * pkg/controller/clusterroleaggregation): a ClusterRole with an `aggregationRule` gets as `rules`
 * the rules of every other ClusterRole its `clusterRoleSelectors` select, roles taken in name
 * order, each rule once. It runs after any ClusterRole changes, outside the write that changed it,
 * so `admin`, `edit` and `view` follow the `aggregate-to-*` roles users add.
 */
import { deepEqual, type KubeObject, type LabelSelectorSpec, labelSelectorFromSpec } from '../../core/index.js';
import type { ClusterAccess } from '../registry/types.js';
import type { ServedType } from '../served/served-types.js';

/** Passes made at start so chains (`view` into `edit` into `admin`) settle before the first request. */
const SETTLE_PASSES = 5;

function selectorsOf(role: KubeObject): LabelSelectorSpec[] | undefined {
  const rule = (role as { aggregationRule?: { clusterRoleSelectors?: unknown } }).aggregationRule;
  if (!rule || typeof rule !== 'object') return undefined;
  const selectors = rule.clusterRoleSelectors;
  return Array.isArray(selectors) ? (selectors as LabelSelectorSpec[]) : [];
}

function aggregatedRules(role: KubeObject, selectors: LabelSelectorSpec[], all: readonly KubeObject[]): unknown[] {
  const rules: unknown[] = [];
  for (const spec of selectors) {
    let selector: ReturnType<typeof labelSelectorFromSpec>;
    try {
      selector = labelSelectorFromSpec(spec);
    } catch {
      continue; // the real controller skips a selector it cannot parse
    }
    const picked = all
      .filter((r) => r.metadata.name !== role.metadata.name && selector.matches(r.metadata.labels))
      .sort((a, b) => (String(a.metadata.name) < String(b.metadata.name) ? -1 : 1));
    for (const source of picked) {
      const sourceRules = (source as { rules?: unknown }).rules;
      for (const rule of Array.isArray(sourceRules) ? sourceRules : []) {
        if (!rules.some((r) => deepEqual(r, rule))) rules.push(rule);
      }
    }
  }
  return rules;
}

/** One pass over every aggregated ClusterRole; true when something was written. */
function aggregateOnce(cluster: ClusterAccess, served: ServedType): boolean {
  const store = cluster.store(served);
  const all = [...store.all()].map((s) => s.object);
  let changed = false;
  for (const role of all) {
    const selectors = selectorsOf(role);
    if (selectors === undefined) continue;
    const rules = aggregatedRules(role, selectors, all);
    const currentRules = (role as { rules?: unknown }).rules ?? [];
    if (deepEqual(rules, currentRules)) continue;
    const current = store.get(String(role.metadata.name));
    if (!current) continue;
    const next = JSON.parse(current.json) as KubeObject & { rules?: unknown[] };
    next.rules = rules;
    cluster.commitUpdate(served, current, next);
    changed = true;
  }
  return changed;
}

/**
 * Starts the aggregation controller: settles the aggregated roles now, then again after every
 * ClusterRole change. Returns the function that stops it.
 */
export function startClusterRoleAggregation(cluster: ClusterAccess): () => void {
  const served = cluster.types.byResource('rbac.authorization.k8s.io', 'v1', 'clusterroles');
  if (!served) return () => {};
  for (let i = 0; i < SETTLE_PASSES && aggregateOnce(cluster, served); i++);
  return cluster.store(served).listen(() => {
    cluster.defer('rbac/clusterrole-aggregation', () => aggregateOnce(cluster, served));
  });
}
