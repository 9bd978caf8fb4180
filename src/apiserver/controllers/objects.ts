/**
 * Reading and shaping the objects the built-in controllers work on: owner references, Pod
 * readiness and availability as kube-controller-manager judges them, conditions, label
 * selectors, and the template hash the workload controllers name their children by.
 */
import {
  isPlainObject,
  type KubeObject,
  type LabelSelector,
  type LabelSelectorSpec,
  labelSelectorFromSpec,
  type OwnerReference,
  type TypeRef,
} from '../../core/index.js';

/** The manager name of kube-controller-manager's writes. */
export const KCM = 'kube-controller-manager';

/** A condition as the workload kinds write it. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  lastProbeTime?: string | null;
  lastHeartbeatTime?: string;
  [field: string]: unknown;
}

/** `obj.spec` (or `{}`). */
export function specOf(obj: KubeObject | undefined): Record<string, unknown> {
  return isPlainObject(obj?.spec) ? obj.spec : {};
}

/** `obj.status` (or `{}`). */
export function statusOf(obj: KubeObject | undefined): Record<string, unknown> {
  return isPlainObject(obj?.status) ? obj.status : {};
}

/** A number field, or `fallback`. */
export function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** The controller owner reference, if any. */
export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

/** The `namespace/name` key of `obj`'s controller when it is of `kind`. */
export function controllerKey(obj: KubeObject, kind: TypeRef): string | undefined {
  const ref = controllerRef(obj);
  if (!ref || ref.kind !== kind.kind || ref.apiVersion !== kind.apiVersion) return undefined;
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${ref.name}` : ref.name;
}

/** True when `child` is controlled by `owner` (same uid). */
export function isControlledBy(child: KubeObject, owner: KubeObject): boolean {
  return controllerRef(child)?.uid === owner.metadata.uid;
}

/** The controller owner reference of a child of `owner`, as kube-controller-manager writes it. */
export function ownerReferenceTo(owner: KubeObject, type: TypeRef): OwnerReference {
  return {
    apiVersion: type.apiVersion,
    kind: type.kind,
    name: String(owner.metadata.name),
    uid: String(owner.metadata.uid),
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The key of an object in its store. */
export function keyOf(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : String(obj.metadata.name);
}

/** A label selector from a `spec.selector`; one that does not parse selects nothing. */
export function selectorOf(spec: unknown): LabelSelector | undefined {
  if (!isPlainObject(spec)) return undefined;
  try {
    const selector = labelSelectorFromSpec(spec as LabelSelectorSpec);
    return selector.isEmpty() ? undefined : selector;
  } catch {
    return undefined;
  }
}

/** The conditions of `obj.status`. */
export function conditionsOf(obj: KubeObject | undefined): Condition[] {
  const list = statusOf(obj).conditions;
  return Array.isArray(list) ? (list.filter(isPlainObject) as Condition[]) : [];
}

/** One condition of `obj.status`. */
export function conditionOf(obj: KubeObject | undefined, type: string): Condition | undefined {
  return conditionsOf(obj).find((c) => c.type === type);
}

/** True when the Pod is being deleted. */
export function isTerminating(obj: KubeObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined;
}

/** The Pod's phase. */
export function phaseOf(pod: KubeObject): string {
  const phase = statusOf(pod).phase;
  return typeof phase === 'string' ? phase : 'Pending';
}

/** True for a Pod that finished (Succeeded or Failed). */
export function isFinished(pod: KubeObject): boolean {
  const phase = phaseOf(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

/** kube-controller-manager's "active" Pod: not finished and not being deleted. */
export function isActive(pod: KubeObject): boolean {
  return !isFinished(pod) && !isTerminating(pod);
}

/** True when the Pod's Ready condition is True. */
export function isReady(pod: KubeObject): boolean {
  return conditionOf(pod, 'Ready')?.status === 'True';
}

/**
 * True when the Pod has been Ready for `minReadySeconds` at `now` (`podutil.IsPodAvailable`);
 * otherwise the time (ms) at which it will be, or undefined when it is not Ready at all.
 */
export function availableAt(pod: KubeObject, minReadySeconds: number): number | undefined {
  const ready = conditionOf(pod, 'Ready');
  if (ready?.status !== 'True') return undefined;
  if (minReadySeconds <= 0) return Number.NEGATIVE_INFINITY;
  const since = Date.parse(String(ready.lastTransitionTime ?? ''));
  return Number.isFinite(since) ? since + minReadySeconds * 1000 : Number.NEGATIVE_INFINITY;
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * A stable hash of a Pod template (FNV-32a of its JSON, plus the collision count), rendered in the
 * alphabet `rand.SafeEncodeString` uses, as `pod-template-hash` and `controller-revision-hash`
 * are. Go's exact value (it hashes a spew dump of the Go struct) cannot be reproduced; any stable
 * string from that alphabet is what clients see.
 */
export function templateHash(template: unknown, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const text = JSON.stringify(canonical(template)) + (collisionCount > 0 ? String(collisionCount) : '');
  for (const byte of Buffer.from(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // `rand.SafeEncodeString(fmt.Sprint(hash))`: each byte of the decimal text picks a character.
  let out = '';
  for (const ch of String(h)) out += SAFE_ALPHABET[ch.charCodeAt(0) % SAFE_ALPHABET.length];
  return out;
}

/** Objects with their keys in order, so equal templates hash equally whatever the key order. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = canonical(v[k]);
  return out;
}

/**
 * Sets a condition the way the workload controllers do: a condition with the same status and
 * reason is left as it is (no write), a changed one keeps `lastTransitionTime` while its status
 * holds. Answers the new list.
 */
export function withCondition(list: readonly Condition[], next: Condition, now: string): Condition[] {
  const current = list.find((c) => c.type === next.type);
  if (current && current.status === next.status && current.reason === next.reason && current.message === next.message) {
    return [...list];
  }
  const written: Condition = { ...next };
  if ('lastUpdateTime' in next || current?.lastUpdateTime !== undefined) written.lastUpdateTime = now;
  written.lastTransitionTime = current && current.status === next.status ? (current.lastTransitionTime ?? now) : now;
  return list.some((c) => c.type === next.type)
    ? list.map((c) => (c.type === next.type ? written : c))
    : [...list, written];
}

/** A deep copy. */
export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
