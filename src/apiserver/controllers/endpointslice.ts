/**
 * kube-controller-manager's EndpointSlice controller: for each Service with a selector, slices
 * (`discovery.k8s.io/v1`, `generateName: <service>-`, labels `kubernetes.io/service-name` and
 * `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io` plus the Service's
 * labels and `service.kubernetes.io/headless` when headless, a controller reference to the
 * Service, annotation `endpoints.kubernetes.io/last-change-trigger-time`) holding one endpoint
 * per selected Pod with an IP: `addresses`, `conditions` (`ready`, `serving`, `terminating`),
 * `nodeName`, `zone`, `targetRef`, and `hostname` for Pods whose `subdomain` is the Service.
 * Pods whose resolved ports differ go in different slices, as upstream groups them.
 *
 * Not done: the 100-endpoint limit per slice (one slice per port set, however large), IPv6,
 * topology hints, mirroring of custom Endpoints.
 */
import { EndpointSlice, type KubeObject, Node, Pod, Service } from '../../core/index.js';
import { controllerKey, isControlledBy, KCM, ownerReferenceTo, specOf, statusOf } from './objects.js';
import { type ControllerRuntime, copyOf } from './runtime.js';
import { endpointConditions, portsFor, selectedPods, selectingService, servicesSelecting } from './service-pods.js';
import type { BuiltinController } from './types.js';

/** The managed-by label value of this controller's slices. */
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
const TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';

/** Keeps EndpointSlices in step with the Pods each Service selects. */
export class EndpointSliceController implements BuiltinController {
  readonly name = 'endpointslice' as const;

  constructor(private readonly rt: ControllerRuntime) {
    rt.watch(Service, (e) => rt.enqueue(this.name, e.key));
    rt.watch(Pod, (e) => {
      for (const key of servicesSelecting(rt, e.object.object, e.prev?.object)) rt.enqueue(this.name, key);
    });
    rt.watch(EndpointSlice, (e) => {
      const owner = controllerKey(e.object.object, Service);
      if (owner) rt.enqueue(this.name, owner);
    });
    for (const svc of rt.list(Service)) rt.enqueue(this.name, svc.key);
  }

  sync(key: string): void {
    const [namespace, name] = key.split('/');
    const owned = this.rt
      .list(EndpointSlice, namespace)
      .filter(
        (s) =>
          s.object.metadata.labels?.['kubernetes.io/service-name'] === name &&
          s.object.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === MANAGED_BY,
      );
    const stored = selectingService(this.rt, key);
    if (!stored) {
      // The Service is gone (the collector takes owned slices) or selects nothing: no slices.
      for (const s of owned) this.rt.delete(this.name, KCM, EndpointSlice, s);
      return;
    }
    const svc = stored.object;
    const mine = owned.filter((s) => isControlledBy(s.object, svc));
    const groups = new Map<string, { ports: ReturnType<typeof portsFor>; endpoints: Record<string, unknown>[] }>();
    for (const pod of selectedPods(this.rt, svc)) {
      const ports = portsFor(svc, pod);
      const id = JSON.stringify(ports);
      let group = groups.get(id);
      if (!group) {
        group = { ports, endpoints: [] };
        groups.set(id, group);
      }
      group.endpoints.push(this.endpointOf(svc, pod));
    }
    if (groups.size === 0) groups.set('[]', { ports: [], endpoints: [] });
    const wanted = [...groups.values()];
    const labels: Record<string, string> = {
      ...(svc.metadata.labels ?? {}),
      'endpointslice.kubernetes.io/managed-by': MANAGED_BY,
      'kubernetes.io/service-name': String(svc.metadata.name),
    };
    if (specOf(svc).clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
    const now = this.rt.timestamp();
    mine.forEach((slice, i) => {
      const want = wanted[i];
      if (!want) {
        this.rt.delete(this.name, KCM, EndpointSlice, slice);
        return;
      }
      const next = copyOf(slice);
      const changed =
        JSON.stringify(slice.object.endpoints ?? []) !== JSON.stringify(want.endpoints) ||
        JSON.stringify(slice.object.ports ?? []) !== JSON.stringify(want.ports);
      next.metadata.labels = labels;
      next.endpoints = want.endpoints;
      next.ports = want.ports;
      if (changed) next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [TRIGGER_TIME]: now };
      this.rt.update(this.name, KCM, EndpointSlice, slice, next);
    });
    for (const want of wanted.slice(mine.length)) {
      const slice: KubeObject = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          generateName: `${String(svc.metadata.name)}-`,
          namespace,
          labels,
          annotations: { [TRIGGER_TIME]: now },
          ownerReferences: [ownerReferenceTo(svc, Service)],
        },
        addressType: 'IPv4',
        endpoints: want.endpoints,
        ports: want.ports,
      };
      this.rt.create(this.name, KCM, EndpointSlice, slice);
    }
  }

  private endpointOf(svc: KubeObject, pod: KubeObject): Record<string, unknown> {
    const spec = specOf(pod);
    const endpoint: Record<string, unknown> = {
      addresses: [String(statusOf(pod).podIP)],
      conditions: endpointConditions(svc, pod),
    };
    if (typeof spec.hostname === 'string' && spec.subdomain === svc.metadata.name) endpoint.hostname = spec.hostname;
    if (typeof spec.nodeName === 'string') {
      endpoint.nodeName = spec.nodeName;
      const zone = this.rt.get(Node, undefined, spec.nodeName)?.object.metadata.labels?.['topology.kubernetes.io/zone'];
      if (zone) endpoint.zone = zone;
    }
    endpoint.targetRef = {
      kind: 'Pod',
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
    };
    return endpoint;
  }
}
