/**
 * kube-controller-manager's Endpoints controller (the legacy `v1` Endpoints): an object named
 * after each Service with a selector, with `subsets` grouping the selected Pods' addresses by
 * their resolved ports, ready ones in `addresses` and the others in `notReadyAddresses`
 * (terminating Pods are left out unless `publishNotReadyAddresses`), each with `ip`, `nodeName`,
 * `hostname` and `targetRef`; labels are the Service's (plus `service.kubernetes.io/headless`);
 * annotation `endpoints.kubernetes.io/last-change-trigger-time`.
 *
 * Not done: the 1000-address truncation (`endpoints.kubernetes.io/over-capacity`).
 */
import { Endpoints, type KubeObject, Pod, Service } from '../../core/index.js';
import { KCM, specOf, statusOf } from './objects.js';
import { type ControllerRuntime, copyOf } from './runtime.js';
import { endpointConditions, portsFor, selectedPods, selectingService, servicesSelecting } from './service-pods.js';
import type { BuiltinController } from './types.js';

const TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';

interface Address {
  ip: string;
  targetRef?: { uid?: string };
}

/** IPv4 addresses in numeric order, then by Pod uid (`addrsByIPAndUID`). */
function compareAddresses(a: Address, b: Address): number {
  const num = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  return num(a.ip) - num(b.ip) || String(a.targetRef?.uid ?? '').localeCompare(String(b.targetRef?.uid ?? ''));
}

/** Keeps one Endpoints object per Service with a selector. */
export class EndpointsController implements BuiltinController {
  readonly name = 'endpoints' as const;
  /** Endpoints this controller wrote (it deletes only those when their Service goes). */
  private readonly managed = new Set<string>();

  constructor(private readonly rt: ControllerRuntime) {
    rt.watch(Service, (e) => rt.enqueue(this.name, e.key));
    rt.watch(Pod, (e) => {
      for (const key of servicesSelecting(rt, e.object.object, e.prev?.object)) rt.enqueue(this.name, key);
    });
    rt.watch(Endpoints, (e) => {
      if (this.managed.has(e.key)) rt.enqueue(this.name, e.key);
    });
    for (const svc of rt.list(Service)) rt.enqueue(this.name, svc.key);
  }

  sync(key: string): void {
    const [namespace, name] = key.split('/');
    const current = this.rt.get(Endpoints, namespace, name);
    const stored = selectingService(this.rt, key);
    if (!stored) {
      if (current && this.managed.has(key) && !this.rt.getByKey(Service, key)) {
        this.rt.delete(this.name, KCM, Endpoints, current);
        this.managed.delete(key);
      }
      return;
    }
    const svc = stored.object;
    const publishNotReady = specOf(svc).publishNotReadyAddresses === true;
    const subsets = new Map<string, { addresses: unknown[]; notReadyAddresses: unknown[]; ports: unknown[] }>();
    for (const pod of selectedPods(this.rt, svc)) {
      const conditions = endpointConditions(svc, pod);
      if (conditions.terminating && !publishNotReady) continue;
      const ports = portsFor(svc, pod);
      const id = JSON.stringify(ports);
      let subset = subsets.get(id);
      if (!subset) {
        subset = { addresses: [], notReadyAddresses: [], ports };
        subsets.set(id, subset);
      }
      (conditions.ready ? subset.addresses : subset.notReadyAddresses).push(this.addressOf(svc, pod));
    }
    // RepackSubsets sorts each subset's addresses by IP (then uid).
    const byIp = (a: unknown, b: unknown) => compareAddresses(a as Address, b as Address);
    for (const s of subsets.values()) {
      s.addresses.sort(byIp);
      s.notReadyAddresses.sort(byIp);
    }
    const list = [...subsets.values()].map((s) => {
      const out: Record<string, unknown> = {};
      if (s.addresses.length > 0) out.addresses = s.addresses;
      if (s.notReadyAddresses.length > 0) out.notReadyAddresses = s.notReadyAddresses;
      if (s.ports.length > 0) out.ports = s.ports;
      return out;
    });
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (specOf(svc).clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
    const now = this.rt.timestamp();
    this.managed.add(key);
    if (!current) {
      const obj: KubeObject = {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name, namespace, labels, annotations: { [TRIGGER_TIME]: now } },
      };
      if (list.length > 0) obj.subsets = list;
      this.rt.create(this.name, KCM, Endpoints, obj);
      return;
    }
    const next = copyOf(current);
    const changed = JSON.stringify(current.object.subsets ?? []) !== JSON.stringify(list);
    if (list.length > 0) next.subsets = list;
    else delete next.subsets;
    if (Object.keys(labels).length > 0) next.metadata.labels = labels;
    else delete next.metadata.labels;
    if (changed) next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [TRIGGER_TIME]: now };
    this.rt.update(this.name, KCM, Endpoints, current, next);
  }

  private addressOf(svc: KubeObject, pod: KubeObject): Record<string, unknown> {
    const spec = specOf(pod);
    const address: Record<string, unknown> = { ip: String(statusOf(pod).podIP) };
    if (typeof spec.hostname === 'string' && spec.subdomain === svc.metadata.name) address.hostname = spec.hostname;
    if (typeof spec.nodeName === 'string') address.nodeName = spec.nodeName;
    address.targetRef = {
      kind: 'Pod',
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
    };
    return address;
  }
}
