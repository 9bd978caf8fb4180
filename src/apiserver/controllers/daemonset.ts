/**
 * kube-controller-manager's DaemonSet controller (pkg/controller/daemon): one Pod per Node the
 * template's node selector and affinity accept, pinned there by a required node affinity on
 * `metadata.name` (the scheduler binds it), with the tolerations the controller adds
 * (`not-ready` and `unreachable` NoExecute, the pressure and `unschedulable` NoSchedule taints)
 * and labels `controller-revision-hash` and `pod-template-generation`. A RollingUpdate replaces
 * Pods of an older revision at most `maxUnavailable` at a time. Status: `desiredNumberScheduled`,
 * `currentNumberScheduled`, `numberMisscheduled`, `numberReady`, `updatedNumberScheduled`,
 * `numberAvailable`, `numberUnavailable`, `observedGeneration`.
 *
 * Not done: `maxSurge` (surge rolling updates), taints other than NoSchedule/NoExecute.
 */
import { DaemonSet, isPlainObject, type KubeObject, Node, Pod } from '../../core/index.js';
import type { StoredObject } from '../storage/store.js';
import { scaled } from './deployment-rollout.js';
import { availableAt, controllerKey, isControlledBy, isReady, isTerminating, KCM, num, specOf } from './objects.js';
import { podFromTemplate } from './replicaset.js';
import { ensureRevision, pruneRevisions, type Revision } from './revisions.js';
import { type ControllerRuntime, copyOf } from './runtime.js';
import { nodeMatches } from './scheduler.js';
import type { BuiltinController } from './types.js';

const TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** The Node a DaemonSet Pod is pinned to (its affinity, or where it runs). */
function pinnedNode(pod: KubeObject): string | undefined {
  if (typeof specOf(pod).nodeName === 'string') return String(specOf(pod).nodeName);
  const affinity = specOf(pod).affinity as
    | { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: unknown[] } } }
    | undefined;
  for (const term of affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    if (!isPlainObject(term) || !Array.isArray(term.matchFields)) continue;
    for (const f of term.matchFields) {
      if (isPlainObject(f) && f.key === 'metadata.name' && Array.isArray(f.values)) return String(f.values[0]);
    }
  }
  return undefined;
}

/** Runs DaemonSets. */
export class DaemonSetController implements BuiltinController {
  readonly name = 'daemonset' as const;

  constructor(private readonly rt: ControllerRuntime) {
    rt.watch(DaemonSet, (e) => {
      if (e.type !== 'DELETED') rt.enqueue(this.name, e.key);
    });
    rt.watch(Pod, (e) => {
      const owner = controllerKey(e.object.object, DaemonSet);
      if (owner) rt.enqueue(this.name, owner);
    });
    rt.watch(Node, () => {
      for (const ds of rt.list(DaemonSet)) rt.enqueue(this.name, ds.key);
    });
  }

  sync(key: string): void {
    const stored = this.rt.getByKey(DaemonSet, key);
    if (!stored || stored.object.metadata.deletionTimestamp !== undefined) return;
    const ds = stored.object;
    const revision = ensureRevision(this.rt, this.name, ds, DaemonSet);
    if (!revision) return;
    const template = revision.template;
    const probe: KubeObject = { metadata: {}, spec: { ...(template.spec as object), tolerations: TOLERATIONS } };
    const nodes = this.rt.list(Node).filter((n) => this.shouldRun(probe, n.object));
    const wanted = new Set(nodes.map((n) => String(n.object.metadata.name)));
    const byNode = new Map<string, StoredObject[]>();
    for (const pod of this.rt.list(Pod, ds.metadata.namespace)) {
      if (!isControlledBy(pod.object, ds)) continue;
      const node = pinnedNode(pod.object) ?? '';
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    for (const [node, pods] of byNode) {
      const live = pods.filter((p) => !isTerminating(p.object));
      if (!wanted.has(node)) for (const p of live) this.rt.delete(this.name, KCM, Pod, p);
      else for (const p of live.slice(1)) this.rt.delete(this.name, KCM, Pod, p);
    }
    for (const node of wanted) {
      if ((byNode.get(node) ?? []).some((p) => !isTerminating(p.object))) continue;
      this.createPod(ds, node, revision);
    }
    this.rollingUpdate(ds, revision, wanted);
    pruneRevisions(this.rt, this.name, ds, [revision.name]);
    this.writeStatus(stored, revision, wanted);
  }

  private shouldRun(probe: KubeObject, node: KubeObject): boolean {
    if (!nodeMatches(probe, node)) return false;
    const taints = Array.isArray(specOf(node).taints)
      ? (specOf(node).taints as { key?: string; effect?: string }[])
      : [];
    return taints.every(
      (t) =>
        (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') ||
        t.key === 'node.kubernetes.io/not-ready' ||
        TOLERATIONS.some((x) => x.key === t.key && x.effect === t.effect),
    );
  }

  private createPod(ds: KubeObject, node: string, revision: Revision): void {
    const pod = podFromTemplate(ds, DaemonSet, revision.template, { generateName: `${String(ds.metadata.name)}-` });
    pod.metadata.labels = {
      ...(pod.metadata.labels ?? {}),
      'controller-revision-hash': revision.hash,
      'pod-template-generation': ds.metadata.annotations?.['deprecated.daemonset.template.generation'] ?? '1',
    };
    const spec = pod.spec as Record<string, unknown>;
    spec.affinity = {
      ...(isPlainObject(spec.affinity) ? spec.affinity : {}),
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
        },
      },
    };
    const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations.filter(isPlainObject) : [];
    for (const t of TOLERATIONS)
      if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect)) tolerations.push({ ...t });
    spec.tolerations = tolerations;
    this.rt.create(this.name, KCM, Pod, pod);
  }

  /** Deletes outdated Pods while no more than `maxUnavailable` are unavailable. */
  private rollingUpdate(ds: KubeObject, revision: Revision, wanted: Set<string>): void {
    const strategy = (specOf(ds).updateStrategy ?? {}) as {
      type?: string;
      rollingUpdate?: { maxUnavailable?: unknown };
    };
    if (strategy.type === 'OnDelete') return;
    const maxUnavailable = Math.max(1, scaled(strategy.rollingUpdate?.maxUnavailable ?? 1, wanted.size, true));
    const pods = this.rt.list(Pod, ds.metadata.namespace).filter((p) => isControlledBy(p.object, ds));
    const minReady = num(specOf(ds).minReadySeconds, 0);
    const now = this.rt.now();
    const available = (p: StoredObject) => {
      const at = availableAt(p.object, minReady);
      return !isTerminating(p.object) && at !== undefined && at <= now;
    };
    let unavailable = [...wanted].filter(
      (node) => !pods.some((p) => pinnedNode(p.object) === node && available(p)),
    ).length;
    for (const pod of pods) {
      if (unavailable >= maxUnavailable) break;
      if (isTerminating(pod.object) || pod.object.metadata.labels?.['controller-revision-hash'] === revision.hash)
        continue;
      this.rt.delete(this.name, KCM, Pod, pod);
      if (available(pod)) unavailable++;
    }
  }

  private writeStatus(stored: StoredObject, revision: Revision, wanted: Set<string>): void {
    const ds = stored.object;
    const minReady = num(specOf(ds).minReadySeconds, 0);
    const now = this.rt.now();
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let updated = 0;
    let available = 0;
    const seen = new Set<string>();
    for (const pod of this.rt.list(Pod, ds.metadata.namespace)) {
      if (!isControlledBy(pod.object, ds) || isTerminating(pod.object)) continue;
      const node = pinnedNode(pod.object) ?? '';
      if (typeof specOf(pod.object).nodeName !== 'string') continue;
      if (!wanted.has(node)) {
        misscheduled++;
        continue;
      }
      if (seen.has(node)) continue;
      seen.add(node);
      current++;
      if (isReady(pod.object)) ready++;
      const at = availableAt(pod.object, minReady);
      if (at !== undefined && at <= now) available++;
      else if (at !== undefined) this.rt.after(this.name, stored.key, at - now);
      if (pod.object.metadata.labels?.['controller-revision-hash'] === revision.hash) updated++;
    }
    const status: Record<string, unknown> = {
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: wanted.size,
      numberReady: ready,
      observedGeneration: ds.metadata.generation,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: wanted.size - available,
    };
    for (const f of ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'])
      if (status[f] === 0) delete status[f];
    const next = copyOf(stored);
    next.status = status;
    this.rt.update(this.name, KCM, DaemonSet, stored, next, 'status');
  }
}
