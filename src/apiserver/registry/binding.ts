/**
 * Binding a Pod to a Node (`BindingREST.assignPod`, pkg/registry/core/pod/storage/storage.go):
 * one guaranteed update of the stored Pod that sets `spec.nodeName`, merges the Binding's
 * annotations and sets `PodScheduled=True`. It writes below the update strategy and the field
 * manager, so it records no managedFields entry, as upstream. Shared by the `pods/binding`
 * handler and the emulator's scheduler.
 */
import { isPlainObject, type KubeObject } from '../../core/index.js';
import { conflict } from '../errors/status-errors.js';
import type { ServedType } from '../served/served-types.js';
import type { StoredObject } from '../storage/store.js';
import type { WriteOptions, WriteResult } from './types.js';

/** What a binding asks for. */
export interface PodBinding {
  node: string;
  annotations?: Record<string, string>;
  /** Preconditions: the Pod's uid and resourceVersion, when the Binding names them. */
  uid?: string;
  resourceVersion?: string;
}

/** The part of the cluster a binding writes through. */
export interface BindingCluster {
  now(): number;
  commitUpdate(served: ServedType, current: StoredObject, next: KubeObject, options?: WriteOptions): WriteResult;
}

const BINDING_REF = { group: '', plural: 'pods/binding' };
const PODS_REF = { group: '', plural: 'pods' };

/** Binds `current` (a stored Pod); throws the upstream 409s. */
export function bindPod(
  cluster: BindingCluster,
  served: ServedType,
  current: StoredObject,
  binding: PodBinding,
  options: WriteOptions = {},
): WriteResult {
  const pod = current.object;
  const name = String(pod.metadata.name);
  const refuse = (why: string) => conflict(BINDING_REF, name, why);
  if (pod.metadata.deletionTimestamp !== undefined) {
    throw refuse(`pod ${name} is being deleted, cannot be assigned to a host`);
  }
  if (binding.uid !== undefined && binding.uid !== '' && binding.uid !== pod.metadata.uid) {
    throw conflict(PODS_REF, name, 'pod UID in binding does not match the existing pod UID');
  }
  if (
    binding.resourceVersion !== undefined &&
    binding.resourceVersion !== '' &&
    binding.resourceVersion !== pod.metadata.resourceVersion
  ) {
    throw conflict(PODS_REF, name, 'pod resourceVersion in binding does not match the existing pod resourceVersion');
  }
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  if (Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) {
    throw refuse(`pod ${name} has non-empty .spec.schedulingGates`);
  }
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
    throw refuse(`pod ${name} is already assigned to node ${JSON.stringify(spec.nodeName)}`);
  }
  const next = JSON.parse(current.json) as KubeObject;
  next.spec = { ...(isPlainObject(next.spec) ? next.spec : {}), nodeName: binding.node };
  if (binding.annotations && Object.keys(binding.annotations).length > 0) {
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), ...binding.annotations };
  }
  next.status = withScheduled(isPlainObject(next.status) ? next.status : {}, cluster.now());
  return cluster.commitUpdate(served, current, next, options);
}

/** `podutil.UpdatePodCondition` with PodScheduled=True (reason and message cleared). */
function withScheduled(status: Record<string, unknown>, now: number): Record<string, unknown> {
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isPlainObject) : [];
  const existing = conditions.find((c) => c.type === 'PodScheduled');
  if (existing?.status === 'True') return status;
  const scheduled = {
    type: 'PodScheduled',
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: `${new Date(now).toISOString().slice(0, 19)}Z`,
  };
  const list = existing
    ? conditions.map((c) => (c.type === 'PodScheduled' ? scheduled : c))
    : [...conditions, scheduled];
  return { ...status, conditions: list };
}
