/**
 * kube-controller-manager's node lifecycle controller, as far as Pods feel it: a Node whose
 * `Ready` condition is not True gets the `node.kubernetes.io/not-ready` taints (`NoSchedule`, and
 * `NoExecute` with `timeAdded`), removed when it is Ready again; after `nodeNotReadyGraceMs` its
 * Pods get `Ready=False` (`MarkPodsNotReady`), and a Pod that does not tolerate the `NoExecute`
 * taint for long enough (admission gives every Pod 300 s) is evicted: condition
 * `DisruptionTarget` (`DeletionByTaintManager`) and a delete, as the taint eviction controller
 * does. Controllers replace evicted Pods on the Nodes still Ready.
 */
import { isPlainObject, type KubeObject, Node, Pod } from '../../core/index.js';
import { conditionOf, KCM, specOf, statusOf, withCondition } from './objects.js';
import { type ControllerRuntime, copyOf } from './runtime.js';
import type { BuiltinController } from './types.js';

/** The taint key of a NotReady Node. */
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';

interface Taint {
  key: string;
  effect: string;
  value?: string;
  timeAdded?: string;
}

/** Seconds a Pod tolerates the NotReady `NoExecute` taint (undefined: forever; 0: not at all). */
function toleranceSeconds(pod: KubeObject): number | undefined {
  const list = specOf(pod).tolerations;
  if (!Array.isArray(list)) return 0;
  for (const t of list.filter(isPlainObject)) {
    const keyOk = t.key === NOT_READY_TAINT || (t.key === undefined && t.operator === 'Exists');
    const effectOk = t.effect === undefined || t.effect === '' || t.effect === 'NoExecute';
    if (!keyOk || !effectOk) continue;
    return typeof t.tolerationSeconds === 'number' ? Math.max(0, t.tolerationSeconds) : undefined;
  }
  return 0;
}

/** Taints NotReady Nodes and makes their Pods follow. */
export class NodeLifecycleController implements BuiltinController {
  readonly name = 'node-lifecycle' as const;
  /** Clock time each NotReady Node was first seen NotReady (second-precision timestamps are too coarse). */
  private readonly notReadySince = new Map<string, number>();

  constructor(private readonly rt: ControllerRuntime) {
    rt.watch(Node, (e) => rt.enqueue(this.name, e.key));
    rt.watch(Pod, (e) => {
      const node = specOf(e.object.object).nodeName;
      if (e.type !== 'DELETED' && typeof node === 'string') rt.enqueue(this.name, node);
    });
  }

  sync(name: string): void {
    const stored = this.rt.get(Node, undefined, name);
    if (!stored) return;
    const ready = conditionOf(stored.object, 'Ready');
    const notReady = ready?.status !== 'True';
    const taints = (Array.isArray(specOf(stored.object).taints) ? specOf(stored.object).taints : []) as Taint[];
    const others = taints.filter((t) => t.key !== NOT_READY_TAINT);
    const now = this.rt.timestamp();
    const ours: Taint[] = notReady
      ? [
          { key: NOT_READY_TAINT, effect: 'NoSchedule' },
          {
            key: NOT_READY_TAINT,
            effect: 'NoExecute',
            timeAdded: taints.find((t) => t.key === NOT_READY_TAINT && t.effect === 'NoExecute')?.timeAdded ?? now,
          },
        ]
      : [];
    const wanted = [...others, ...ours];
    if (JSON.stringify(wanted) !== JSON.stringify(taints)) {
      const next = copyOf(stored);
      const spec = { ...specOf(next) };
      if (wanted.length > 0) spec.taints = wanted;
      else delete spec.taints;
      next.spec = spec;
      this.rt.update(this.name, KCM, Node, stored, next);
    }
    if (!notReady) {
      this.notReadySince.delete(name);
      return;
    }
    const clock = this.rt.cluster.clock;
    const since = this.notReadySince.get(name) ?? clock.now();
    this.notReadySince.set(name, since);
    const elapsed = clock.now() - since;
    const grace = this.rt.settings.nodeNotReadyGraceMs;
    let nextDue: number | undefined;
    const due = (ms: number) => {
      nextDue = nextDue === undefined ? ms : Math.min(nextDue, ms);
    };
    for (const pod of this.rt.list(Pod)) {
      if (specOf(pod.object).nodeName !== name || pod.object.metadata.deletionTimestamp !== undefined) continue;
      if (elapsed < grace) {
        due(grace - elapsed);
        continue;
      }
      if (conditionOf(pod.object, 'Ready')?.status === 'True') {
        const next = copyOf(pod);
        const status = { ...statusOf(next) };
        status.conditions = withCondition(
          (Array.isArray(status.conditions) ? status.conditions : []) as never[],
          { type: 'Ready', status: 'False', lastProbeTime: null },
          now,
        );
        next.status = status;
        this.rt.update(this.name, KCM, Pod, pod, next, 'status');
      }
      const tolerated = toleranceSeconds(pod.object);
      if (tolerated === undefined) continue;
      const evictAfter = grace + tolerated * 1000;
      if (elapsed < evictAfter) {
        due(evictAfter - elapsed);
        continue;
      }
      this.evict(pod.key);
    }
    if (nextDue !== undefined) this.rt.after(this.name, name, Math.max(1, nextDue));
  }

  private evict(key: string): void {
    const pod = this.rt.getByKey(Pod, key);
    if (!pod) return;
    const next = copyOf(pod);
    const status = { ...statusOf(next) };
    status.conditions = withCondition(
      (Array.isArray(status.conditions) ? status.conditions : []) as never[],
      {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'DeletionByTaintManager',
        message: 'Taint manager: deleting due to NoExecute taint',
        lastProbeTime: null,
      },
      this.rt.timestamp(),
    );
    next.status = status;
    const written = this.rt.update(this.name, KCM, Pod, pod, next, 'status') ?? pod;
    this.rt.delete(this.name, KCM, Pod, written);
  }
}
