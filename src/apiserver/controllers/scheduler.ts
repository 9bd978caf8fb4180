/**
 * kube-scheduler, reduced to what Pods need to land somewhere: a Pod without `spec.nodeName`
 * (and with the default scheduler) is bound to a Ready Node whose taints it tolerates and whose
 * labels and name its `nodeSelector` and required node affinity accept, the one with the fewest
 * Pods (ties by name). The bind is a `pods/binding` create (one write setting `spec.nodeName` and
 * `PodScheduled=True`, no managedFields entry, as upstream); with
 * no fitting Node the Pod gets `PodScheduled=False`, reason `Unschedulable`, and waits for a Node
 * to change. Resources, Pod (anti-)affinity, topology spread and preemption are not considered.
 */
import { isPlainObject, type KubeObject, Node, Pod } from '../../core/index.js';
import type { StoredObject } from '../storage/store.js';
import { conditionOf, isTerminating, specOf, statusOf, withCondition } from './objects.js';
import { type ControllerRuntime, copyOf } from './runtime.js';
import type { BuiltinController } from './types.js';

const SCHEDULER = 'kube-scheduler';

interface Taint {
  key?: string;
  value?: string;
  effect?: string;
}

function tolerates(pod: KubeObject, taint: Taint): boolean {
  const list = specOf(pod).tolerations;
  if (!Array.isArray(list)) return false;
  return list.filter(isPlainObject).some((t) => {
    if (t.effect !== undefined && t.effect !== '' && t.effect !== taint.effect) return false;
    if (t.key === undefined || t.key === '') return t.operator === 'Exists';
    if (t.key !== taint.key) return false;
    return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
  });
}

function expressionMatches(expr: Record<string, unknown>, value: string | undefined): boolean {
  const values = Array.isArray(expr.values) ? expr.values.map(String) : [];
  switch (expr.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

/** True when the Pod's nodeSelector and required node affinity accept the Node. */
export function nodeMatches(pod: KubeObject, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  const selector = specOf(pod).nodeSelector;
  if (isPlainObject(selector)) {
    for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  }
  const affinity = specOf(pod).affinity;
  const nodeAffinity = isPlainObject(affinity) && isPlainObject(affinity.nodeAffinity) ? affinity.nodeAffinity : {};
  const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  const terms =
    isPlainObject(required) && Array.isArray(required.nodeSelectorTerms)
      ? required.nodeSelectorTerms.filter(isPlainObject)
      : undefined;
  if (terms === undefined || terms.length === 0) return true;
  // Terms are ORed; the requirements inside a term are ANDed.
  return terms.some((term) => {
    const exprs = Array.isArray(term.matchExpressions) ? term.matchExpressions.filter(isPlainObject) : [];
    const fields = Array.isArray(term.matchFields) ? term.matchFields.filter(isPlainObject) : [];
    if (exprs.length === 0 && fields.length === 0) return false;
    return (
      exprs.every((e) => expressionMatches(e, labels[String(e.key)])) &&
      fields.every((f) => f.key === 'metadata.name' && expressionMatches(f, String(node.metadata.name)))
    );
  });
}

/** Binds pending Pods to Nodes. */
export class SchedulerController implements BuiltinController {
  readonly name = 'scheduler' as const;

  /** Pod key -> the Node it is bound to (kept from the watch, so no sync scans every Pod). */
  private readonly nodeOfPod = new Map<string, string>();
  /** Node name -> number of Pods bound to it. */
  private readonly podsPerNode = new Map<string, number>();
  /** Keys of the Pods not bound yet. */
  private readonly unbound = new Set<string>();

  constructor(private readonly rt: ControllerRuntime) {
    rt.watch(Pod, (e) => {
      const node = e.type === 'DELETED' ? undefined : specOf(e.object.object).nodeName;
      this.track(e.key, typeof node === 'string' && node !== '' ? node : undefined, e.type === 'DELETED');
      if (e.type !== 'DELETED' && !node) rt.enqueue(this.name, e.key);
    });
    rt.watch(Node, () => {
      // A Node that appears, turns Ready or loses a taint may fit Pods that waited.
      for (const key of this.unbound) rt.enqueue(this.name, key);
    });
    for (const pod of rt.list(Pod)) {
      const node = specOf(pod.object).nodeName;
      this.track(pod.key, typeof node === 'string' && node !== '' ? node : undefined, false);
    }
  }

  private track(key: string, node: string | undefined, deleted: boolean): void {
    const before = this.nodeOfPod.get(key);
    if (before !== node) {
      if (before !== undefined) this.podsPerNode.set(before, (this.podsPerNode.get(before) ?? 1) - 1);
      if (node !== undefined) this.podsPerNode.set(node, (this.podsPerNode.get(node) ?? 0) + 1);
      if (node === undefined) this.nodeOfPod.delete(key);
      else this.nodeOfPod.set(key, node);
    }
    if (node === undefined && !deleted) this.unbound.add(key);
    else this.unbound.delete(key);
  }

  sync(key: string): void {
    const stored = this.rt.getByKey(Pod, key);
    if (!stored || isTerminating(stored.object)) return;
    const pod = stored.object;
    const spec = specOf(pod);
    if (typeof spec.nodeName === 'string' && spec.nodeName !== '') return;
    const scheduler = spec.schedulerName;
    if (scheduler !== undefined && scheduler !== 'default-scheduler') return;
    const nodes = this.rt.list(Node);
    const podsPerNode = this.podsPerNode;
    const reasons = new Map<string, number>();
    const fits: StoredObject[] = [];
    for (const node of nodes) {
      const why = this.unfit(pod, node.object);
      if (why === undefined) fits.push(node);
      else reasons.set(why, (reasons.get(why) ?? 0) + 1);
    }
    if (fits.length === 0) {
      this.unschedulable(stored, nodes.length, reasons);
      return;
    }
    fits.sort(
      (a, b) =>
        (podsPerNode.get(String(a.object.metadata.name)) ?? 0) -
          (podsPerNode.get(String(b.object.metadata.name)) ?? 0) ||
        String(a.object.metadata.name).localeCompare(String(b.object.metadata.name)),
    );
    this.bind(stored, String(fits[0].object.metadata.name));
  }

  /** Why `node` cannot take `pod` (the scheduler's message part), or undefined when it can. */
  private unfit(pod: KubeObject, node: KubeObject): string | undefined {
    if (specOf(node).unschedulable === true) return 'node(s) were unschedulable';
    const taints = Array.isArray(specOf(node).taints) ? (specOf(node).taints as Taint[]) : [];
    for (const taint of taints) {
      if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
      if (!tolerates(pod, taint)) return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
    }
    if (!nodeMatches(pod, node)) return "node(s) didn't match Pod's node affinity/selector";
    if (conditionOf(node, 'Ready')?.status !== 'True') return 'node(s) were not ready';
    return undefined;
  }

  private bind(stored: StoredObject, nodeName: string): void {
    this.rt.bind(this.name, SCHEDULER, stored, nodeName);
  }

  private unschedulable(stored: StoredObject, total: number, reasons: Map<string, number>): void {
    const parts = [...reasons].map(([why, n]) => `${n} ${why}`).sort();
    const message = `0/${total} nodes are available${parts.length > 0 ? `: ${parts.join(', ')}` : ''}. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`;
    const next = copyOf(stored);
    const status: Record<string, unknown> = { ...statusOf(next), phase: 'Pending' };
    status.conditions = withCondition(
      (Array.isArray(status.conditions) ? status.conditions : []) as never[],
      { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null },
      this.rt.timestamp(),
    );
    next.status = status;
    this.rt.update(this.name, SCHEDULER, Pod, stored, next, 'status');
  }
}
