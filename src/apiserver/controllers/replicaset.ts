/**
 * kube-controller-manager's ReplicaSet controller: keeps `spec.replicas` active Pods (created
 * from the template with `generateName: <rs>-`, the template's labels and annotations, and a
 * controller reference), deletes the surplus in the order `controller.ActivePodsWithRanks` ranks
 * them (unscheduled, pending, not ready, lowest `pod-deletion-cost`, doubled up on a Node, Ready
 * the shortest, most restarts, newest), releases owned Pods whose labels left its selector and
 * leaves its Pods to the garbage collector once it is being deleted, adopts orphan Pods its selector
 * matches, and writes `status`: `replicas`, `fullyLabeledReplicas`, `readyReplicas`,
 * `availableReplicas` (Ready for `minReadySeconds`) and `observedGeneration`.
 *
 * Not done: the slow-start batches of creation, `ReplicaFailure` on quota errors (a refused
 * create is retried), `terminatingReplicas` (alpha in 1.33).
 */
import { type KubeObject, Pod, ReplicaSet } from '../../core/index.js';
import type { StoredObject } from '../storage/store.js';
import {
  availableAt,
  clone,
  conditionOf,
  controllerKey,
  controllerRef,
  isActive,
  isControlledBy,
  isReady,
  KCM,
  num,
  ownerReferenceTo,
  phaseOf,
  selectorOf,
  specOf,
  statusOf,
} from './objects.js';
import { type ControllerRuntime, copyOf } from './runtime.js';
import type { BuiltinController } from './types.js';

/** A Pod for `owner` (of `ownerType`) from its template, as the controllers create them. */
export function podFromTemplate(
  owner: KubeObject,
  ownerType: { apiVersion: string; kind: string },
  template: Record<string, unknown>,
  naming: { name: string } | { generateName: string },
): KubeObject {
  const meta = (template.metadata ?? {}) as KubeObject['metadata'];
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...naming,
      namespace: owner.metadata.namespace,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [ownerReferenceTo(owner, ownerType)],
    },
    spec: clone(template.spec ?? {}),
  };
  return pod;
}

const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

function timeOf(text: unknown): number {
  const ms = Date.parse(String(text ?? ''));
  return Number.isFinite(ms) ? ms : 0;
}

function maxRestarts(pod: KubeObject): number {
  const list = statusOf(pod).containerStatuses;
  return Array.isArray(list)
    ? Math.max(0, ...list.map((c) => num((c as { restartCount?: unknown })?.restartCount, 0)))
    : 0;
}

/**
 * `controller.ActivePodsWithRanks`: surplus Pods go unscheduled first, then Pending, Unknown,
 * Running; not ready before ready; lower `pod-deletion-cost` first; Pods doubled up on a Node
 * first; Ready for less time first; more container restarts first; then the newest.
 */
function deletionRank(pod: KubeObject, onSameNode: number): number[] {
  const scheduled = typeof specOf(pod).nodeName === 'string' && specOf(pod).nodeName !== '' ? 1 : 0;
  const phase = phaseOf(pod);
  const phaseOrder = phase === 'Pending' ? 0 : phase === 'Running' ? 2 : 1;
  const ready = isReady(pod);
  const cost = Number(pod.metadata.annotations?.[DELETION_COST] ?? 0);
  const readySince = ready ? timeOf(conditionOf(pod, 'Ready')?.lastTransitionTime) : 0;
  return [
    scheduled,
    phaseOrder,
    ready ? 1 : 0,
    Number.isFinite(cost) ? cost : 0,
    -onSameNode,
    -readySince,
    -maxRestarts(pod),
    -timeOf(pod.metadata.creationTimestamp),
  ];
}

/** The surplus Pods to delete, in the order they go. */
function podsToDelete(active: readonly StoredObject[], count: number): StoredObject[] {
  const perNode = new Map<string, number>();
  for (const p of active) {
    const node = String(specOf(p.object).nodeName ?? '');
    perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const ranked = active.map((p) => ({
    pod: p,
    rank: deletionRank(p.object, perNode.get(String(specOf(p.object).nodeName ?? '')) ?? 0),
  }));
  ranked.sort((a, b) => {
    for (let i = 0; i < a.rank.length; i++) if (a.rank[i] !== b.rank[i]) return a.rank[i] - b.rank[i];
    return String(b.pod.object.metadata.name).localeCompare(String(a.pod.object.metadata.name));
  });
  return ranked.slice(0, count).map((r) => r.pod);
}

/** Runs ReplicaSets. */
export class ReplicaSetController implements BuiltinController {
  readonly name = 'replicaset' as const;

  constructor(private readonly rt: ControllerRuntime) {
    rt.watch(ReplicaSet, (e) => {
      if (e.type !== 'DELETED') rt.enqueue(this.name, e.key);
    });
    rt.watch(Pod, (e) => {
      const pod = e.object.object;
      const owner = controllerKey(pod, ReplicaSet);
      if (owner) rt.enqueue(this.name, owner);
      else if (!controllerRef(pod) && e.type !== 'DELETED') {
        // An orphan: the ReplicaSets of its namespace whose selector matches it may adopt it.
        for (const rs of rt.list(ReplicaSet, pod.metadata.namespace)) {
          if (selectorOf(specOf(rs.object).selector)?.matches(pod.metadata.labels)) rt.enqueue(this.name, rs.key);
        }
      }
    });
  }

  sync(key: string): void {
    const stored = this.rt.getByKey(ReplicaSet, key);
    if (!stored) return;
    const rs = stored.object;
    const selector = selectorOf(specOf(rs).selector);
    if (!selector) return;
    const namespace = rs.metadata.namespace;
    const pods: StoredObject[] = [];
    const deleting = rs.metadata.deletionTimestamp !== undefined;
    for (const pod of this.rt.list(Pod, namespace)) {
      if (isControlledBy(pod.object, rs)) {
        // ClaimPods: an owned Pod whose labels left the selector is released (orphaned).
        if (
          !deleting &&
          pod.object.metadata.deletionTimestamp === undefined &&
          !selector.matches(pod.object.metadata.labels)
        ) {
          this.release(pod, rs);
          continue;
        }
        pods.push(pod);
      } else if (
        !controllerRef(pod.object) &&
        rs.metadata.deletionTimestamp === undefined &&
        pod.object.metadata.deletionTimestamp === undefined &&
        selector.matches(pod.object.metadata.labels)
      ) {
        const adopted = this.adopt(pod, rs);
        if (adopted) pods.push(adopted);
      }
    }
    const active = pods.filter((p) => isActive(p.object));
    const wanted = num(specOf(rs).replicas, 1);
    const template = specOf(rs).template;
    if (deleting) {
      // A ReplicaSet being deleted manages no Pods: the garbage collector deletes or orphans them.
    } else if (active.length < wanted && template && typeof template === 'object') {
      for (let i = active.length; i < wanted; i++) {
        const pod = podFromTemplate(rs, ReplicaSet, template as Record<string, unknown>, {
          generateName: `${String(rs.metadata.name)}-`,
        });
        const created = this.rt.create(this.name, KCM, Pod, pod);
        if (created) active.push(created);
      }
    } else if (active.length > wanted) {
      for (const pod of podsToDelete(active, active.length - wanted)) this.rt.delete(this.name, KCM, Pod, pod);
    }
    this.writeStatus(stored, selector, key);
  }

  private release(pod: StoredObject, rs: KubeObject): void {
    const next = copyOf(pod);
    const refs = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== rs.metadata.uid);
    if (refs.length > 0) next.metadata.ownerReferences = refs;
    else delete next.metadata.ownerReferences;
    this.rt.update(this.name, KCM, Pod, pod, next);
  }

  private adopt(pod: StoredObject, rs: KubeObject): StoredObject | undefined {
    const next = copyOf(pod);
    next.metadata.ownerReferences = [...(next.metadata.ownerReferences ?? []), ownerReferenceTo(rs, ReplicaSet)];
    return this.rt.update(this.name, KCM, Pod, pod, next);
  }

  private writeStatus(stored: StoredObject, selector: NonNullable<ReturnType<typeof selectorOf>>, key: string): void {
    const rs = stored.object;
    const minReady = num(specOf(rs).minReadySeconds, 0);
    const templateLabels = ((specOf(rs).template as KubeObject | undefined)?.metadata?.labels ?? {}) as Record<
      string,
      string
    >;
    let replicas = 0;
    let fullyLabeled = 0;
    let ready = 0;
    let available = 0;
    let nextAvailable: number | undefined;
    const now = this.rt.now();
    for (const pod of this.rt.list(Pod, rs.metadata.namespace)) {
      if (!isControlledBy(pod.object, rs) || !isActive(pod.object)) continue;
      replicas++;
      const labels = pod.object.metadata.labels ?? {};
      if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v) && selector.matches(labels)) fullyLabeled++;
      if (isReady(pod.object)) ready++;
      const at = availableAt(pod.object, minReady);
      if (at !== undefined && at <= now) available++;
      else if (at !== undefined) nextAvailable = Math.min(nextAvailable ?? at, at);
    }
    if (nextAvailable !== undefined) this.rt.after(this.name, key, nextAvailable - now);
    const status: Record<string, unknown> = { ...statusOf(rs) };
    status.replicas = replicas;
    status.fullyLabeledReplicas = fullyLabeled;
    status.readyReplicas = ready;
    status.availableReplicas = available;
    status.observedGeneration = rs.metadata.generation;
    for (const field of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'])
      if (status[field] === 0) delete status[field];
    const next = copyOf(stored);
    next.status = status;
    this.rt.update(this.name, KCM, ReplicaSet, stored, next, 'status');
  }
}
