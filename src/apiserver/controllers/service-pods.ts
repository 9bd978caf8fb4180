/**
 * What the EndpointSlice and Endpoints controllers share: the Pods a Service selects (those
 * with an IP that have not finished), each Pod's readiness as endpoints report it, and the
 * Service ports resolved against the Pod's container ports (a named `targetPort` is looked up by
 * port name in the Pod, as `podutil.FindPort` does).
 */
import { isPlainObject, type KubeObject, Pod, Service } from '../../core/index.js';
import type { StoredObject } from '../storage/store.js';
import { isFinished, isReady, specOf, statusOf } from './objects.js';
import type { ControllerRuntime } from './runtime.js';

/** One resolved endpoint port. */
export interface EndpointPort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

/** The Service of `key`, when it has a selector (others are their owners' to fill). */
export function selectingService(rt: ControllerRuntime, key: string): StoredObject | undefined {
  const svc = rt.getByKey(Service, key);
  if (!svc || svc.object.metadata.deletionTimestamp !== undefined) return undefined;
  const spec = specOf(svc.object);
  if (spec.type === 'ExternalName') return undefined;
  if (!isPlainObject(spec.selector) || Object.keys(spec.selector).length === 0) return undefined;
  return svc;
}

/** Pods selected by the Service that have an IP and did not finish. */
export function selectedPods(rt: ControllerRuntime, svc: KubeObject): KubeObject[] {
  const selector = specOf(svc).selector as Record<string, string>;
  return rt
    .list(Pod, svc.metadata.namespace)
    .map((p) => p.object)
    .filter((pod) => {
      const labels = pod.metadata.labels ?? {};
      if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) return false;
      return typeof statusOf(pod).podIP === 'string' && statusOf(pod).podIP !== '' && !isFinished(pod);
    })
    .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
}

/**
 * Endpoint readiness as `podToEndpoint` sets it: `serving` is the Pod's readiness, `terminating`
 * its deletion, and `ready` is serving and not terminating, or always with
 * `publishNotReadyAddresses`.
 */
export function endpointConditions(
  svc: KubeObject,
  pod: KubeObject,
): { ready: boolean; serving: boolean; terminating: boolean } {
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  const serving = isReady(pod);
  return { ready: specOf(svc).publishNotReadyAddresses === true || (serving && !terminating), serving, terminating };
}

/** The Service's ports as they land on `pod` (ports a named targetPort cannot find are left out). */
export function portsFor(svc: KubeObject, pod: KubeObject): EndpointPort[] {
  const ports = Array.isArray(specOf(svc).ports) ? (specOf(svc).ports as unknown[]).filter(isPlainObject) : [];
  const out: EndpointPort[] = [];
  for (const p of ports) {
    const target = p.targetPort ?? p.port;
    let port: number | undefined;
    if (typeof target === 'number') port = target;
    else if (typeof target === 'string' && /^\d+$/.test(target)) port = Number(target);
    else if (typeof target === 'string') port = containerPort(pod, target, String(p.protocol ?? 'TCP'));
    if (port === undefined) continue;
    const ep: EndpointPort = { name: String(p.name ?? ''), port, protocol: String(p.protocol ?? 'TCP') };
    if (typeof p.appProtocol === 'string') ep.appProtocol = p.appProtocol;
    out.push(ep);
  }
  return out;
}

function containerPort(pod: KubeObject, name: string, protocol: string): number | undefined {
  const containers = Array.isArray(specOf(pod).containers)
    ? (specOf(pod).containers as unknown[]).filter(isPlainObject)
    : [];
  for (const c of containers) {
    const ports = Array.isArray(c.ports) ? c.ports.filter(isPlainObject) : [];
    for (const p of ports) {
      if (p.name === name && String(p.protocol ?? 'TCP') === protocol && typeof p.containerPort === 'number')
        return p.containerPort;
    }
  }
  return undefined;
}

/** The Services in `pod`'s namespace whose selector matches it (now or before the change). */
export function servicesSelecting(rt: ControllerRuntime, ...pods: (KubeObject | undefined)[]): string[] {
  const keys = new Set<string>();
  for (const pod of pods) {
    if (!pod) continue;
    const labels = pod.metadata.labels ?? {};
    for (const svc of rt.list(Service, pod.metadata.namespace)) {
      const selector = specOf(svc.object).selector;
      if (!isPlainObject(selector) || Object.keys(selector).length === 0) continue;
      if (Object.entries(selector).every(([k, v]) => labels[k] === v)) keys.add(svc.key);
    }
  }
  return [...keys];
}
