/**
 * kube-controller-manager's ReplicaSet controller: keeps `spec.replicas` active Pods (created
 * from the template with `generateName: <rs>-`, the template's labels and annotations, and a
 * controller reference), deletes the surplus (not yet scheduled, then pending, then not ready,
 * then the newest first, as `controller.ActivePods` ranks them), adopts orphan Pods its selector
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

/** Surplus Pods in the order they go: unscheduled, pending, not ready, then the newest. */
function deletionRank(pod: KubeObject): [number, number, number, number] {
  const scheduled = typeof specOf(pod).nodeName === 'string' ? 1 : 0;
  const phase = phaseOf(pod);
  const running = phase === 'Running' ? 2 : phase === 'Pending' ? 0 : 1;
  const ready = isReady(pod) ? 1 : 0;
  const created = Date.parse(String(pod.metadata.creationTimestamp ?? '')) || 0;
  return [scheduled, running, ready, -created];
}

function compareRank(a: KubeObject, b: KubeObject): number {
  const ra = deletionRank(a);
  const rb = deletionRank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
  return String(b.metadata.name).localeCompare(String(a.metadata.name));
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
    for (const pod of this.rt.list(Pod, namespace)) {
      if (isControlledBy(pod.object, rs)) pods.push(pod);
      else if (
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
    const wanted = rs.metadata.deletionTimestamp === undefined ? num(specOf(rs).replicas, 1) : 0;
    const template = specOf(rs).template;
    if (active.length < wanted && template && typeof template === 'object') {
      for (let i = active.length; i < wanted; i++) {
        const pod = podFromTemplate(rs, ReplicaSet, template as Record<string, unknown>, {
          generateName: `${String(rs.metadata.name).slice(0, 58)}-`,
        });
        const created = this.rt.create(this.name, KCM, Pod, pod);
        if (created) active.push(created);
      }
    } else if (active.length > wanted) {
      const surplus = [...active].sort((a, b) => compareRank(a.object, b.object)).slice(0, active.length - wanted);
      for (const pod of surplus) this.rt.delete(this.name, KCM, Pod, pod);
    }
    this.writeStatus(stored, selector, key);
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
