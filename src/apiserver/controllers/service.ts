/**
 * Services as the API server's Service registry shapes them (pkg/registry/core/service): the
 * defaults (`type: ClusterIP`, `sessionAffinity: None`, `internalTrafficPolicy: Cluster`, ports'
 * `protocol` and `targetPort`, `externalTrafficPolicy` for NodePort and LoadBalancer), a ClusterIP
 * from the service CIDR (dynamic ones from above the static sub-range, as
 * `ServiceIPStaticSubrange` does) with `clusterIPs`, `ipFamilies` and `ipFamilyPolicy`, NodePorts
 * from 30000-32767, and the upstream 422s for an IP or port outside its range or already taken.
 * An update keeps the allocated values it leaves out and may not change the ClusterIP.
 *
 * The controller half keeps the `kubernetes` Service in `default` (the first address of the
 * CIDR, port `https` 443 -> the API server's port) and its Endpoints and EndpointSlice, as the
 * API server's own endpoint reconciler does.
 */
import { EndpointSlice, Endpoints, isPlainObject, type KubeObject, Service } from '../../core/index.js';
import { invalid } from '../errors/status-errors.js';
import type { AdmissionHook } from '../registry/types.js';
import type { ControllerRuntime } from './runtime.js';
import { ServiceAllocations, type Taken } from './service-allocations.js';
import type { ControllerCluster, SimulationSettings } from './types.js';

const APISERVER = 'kube-apiserver';
const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;
const SERVICE_REF = { group: '', plural: 'services', kind: 'Service' };

/** An IPv4 CIDR as numbers. */
interface Cidr {
  text: string;
  base: number;
  size: number;
}

function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Parses an IPv4 CIDR; throws a TypeError for anything else. */
export function parseCidr(text: string): Cidr {
  const [ip, bits] = text.split('/');
  const base = ipToInt(ip ?? '');
  const prefix = Number(bits);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
    throw new TypeError(`simulation.serviceCidr: ${JSON.stringify(text)} is not an IPv4 CIDR from /8 to /30`);
  }
  const size = 2 ** (32 - prefix);
  return { text, base: base - (base % size), size };
}

/** The first usable address of the CIDR: the `kubernetes` Service's. */
export function firstServiceIp(cidr: string): string {
  return intToIp(parseCidr(cidr).base + 1);
}

function portsOf(spec: Record<string, unknown>): Record<string, unknown>[] {
  return Array.isArray(spec.ports) ? spec.ports.filter(isPlainObject) : [];
}

function defaultSpec(spec: Record<string, unknown>): void {
  spec.type ??= 'ClusterIP';
  if (spec.type === 'ExternalName') return;
  spec.sessionAffinity ??= 'None';
  spec.internalTrafficPolicy ??= 'Cluster';
  for (const p of portsOf(spec)) {
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
}

/** The Service admission step: defaults, preserved and allocated IPs and ports, their 422s. */
export function serviceAdmission(cluster: ControllerCluster, settings: SimulationSettings): AdmissionHook {
  const cidr = parseCidr(settings.serviceCidr);
  const staticSize = Math.min(256, Math.max(16, Math.floor(cidr.size / 16)));
  let allocations: ServiceAllocations | undefined;
  return (served, obj, old) => {
    if (served.storeId !== '/services') return;
    if (!isPlainObject(obj.spec)) obj.spec = {};
    const spec = obj.spec as Record<string, unknown>;
    const name = String(obj.metadata.name);
    const oldSpec = old && isPlainObject(old.spec) ? old.spec : undefined;
    if (oldSpec) {
      // patchAllocatedValues: what the update leaves out keeps its allocated value.
      for (const f of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) {
        if (spec[f] === undefined && oldSpec[f] !== undefined && spec.type !== 'ExternalName') spec[f] = oldSpec[f];
      }
      const oldPorts = portsOf(oldSpec);
      for (const p of portsOf(spec)) {
        if (p.nodePort !== undefined) continue;
        const same = oldPorts.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
        if (typeof same?.nodePort === 'number' && spec.type !== 'ClusterIP') p.nodePort = same.nodePort;
      }
    }
    defaultSpec(spec);
    const type = spec.type;
    allocations ??= new ServiceAllocations(cluster.store(served));
    const ns = obj.metadata.namespace;
    const taken = allocations.takenFor(ns ? `${ns}/${name}` : name);
    if (type === 'ExternalName') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
      return;
    }
    let ip = typeof spec.clusterIP === 'string' && spec.clusterIP !== '' ? spec.clusterIP : undefined;
    if (ip === undefined && Array.isArray(spec.clusterIPs) && typeof spec.clusterIPs[0] === 'string')
      ip = spec.clusterIPs[0];
    const oldIp = oldSpec && typeof oldSpec.clusterIP === 'string' ? oldSpec.clusterIP : undefined;
    if (oldIp !== undefined && oldIp !== '' && ip !== oldIp && old?.spec !== undefined) {
      throw invalid(SERVICE_REF, name, [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: []string{${JSON.stringify(ip ?? '')}}: may not change once set`,
          field: 'spec.clusterIPs[0]',
        },
      ]);
    }
    if (ip === undefined) {
      ip = pickIp(cidr, staticSize, taken.ips, cluster.random);
    } else if (ip !== 'None' && ip !== oldIp) {
      // Alloc.allocIPs: field.Invalid(spec.clusterIPs, the ClusterIPs, "failed to allocate IP ...").
      const failed = (why: string) =>
        invalid(SERVICE_REF, name, [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: []string{${JSON.stringify(ip)}}: failed to allocate IP ${ip}: ${why}`,
            field: 'spec.clusterIPs',
          },
        ]);
      const n = ipToInt(ip);
      // 1.33's MultiCIDRServiceAllocator (GA) finds no allocator for an IP outside every Service CIDR.
      if (n === undefined || n < cidr.base || n >= cidr.base + cidr.size) {
        throw failed('the provided network does not match the current range');
      }
      if (n === cidr.base || n === cidr.base + cidr.size - 1) {
        throw failed(`provided IP is not in the valid range. The range of valid IPs is ${cidr.text}`);
      }
      if (taken.ips.has(ip)) throw failed('provided IP is already allocated');
    }
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
    spec.ipFamilies ??= ['IPv4'];
    const selectorless = !isPlainObject(spec.selector) || Object.keys(spec.selector).length === 0;
    spec.ipFamilyPolicy ??= ip === 'None' && selectorless ? 'RequireDualStack' : 'SingleStack';
    if (type === 'NodePort' || (type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false)) {
      portsOf(spec).forEach((p, i) => {
        const oldPort = oldSpec ? portsOf(oldSpec).some((o) => o.nodePort === p.nodePort) : false;
        if (typeof p.nodePort === 'number') {
          if (oldPort) return;
          if (p.nodePort < NODE_PORT_MIN || p.nodePort > NODE_PORT_MAX) {
            throw invalid(SERVICE_REF, name, [
              {
                reason: 'FieldValueInvalid',
                message: `Invalid value: ${p.nodePort}: provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`,
                field: `spec.ports[${i}].nodePort`,
              },
            ]);
          }
          if (taken.ports.has(p.nodePort)) {
            throw invalid(SERVICE_REF, name, [
              {
                reason: 'FieldValueInvalid',
                message: `Invalid value: ${p.nodePort}: provided port is already allocated`,
                field: `spec.ports[${i}].nodePort`,
              },
            ]);
          }
          taken.ports.add(p.nodePort);
          return;
        }
        p.nodePort = pickPort(taken.ports, cluster.random);
      });
    } else if (type === 'ClusterIP') {
      for (const p of portsOf(spec)) delete p.nodePort;
    }
    if (type === 'LoadBalancer' && old === undefined) obj.status = { loadBalancer: {} };
  };
}

function pickIp(cidr: Cidr, staticSize: number, taken: Taken<string>, random: () => number): string {
  const first = cidr.base + staticSize;
  const count = cidr.size - staticSize - 1;
  const start = Math.floor(random() * count);
  for (let i = 0; i < count; i++) {
    const ip = intToIp(first + ((start + i) % count));
    if (!taken.has(ip)) return ip;
  }
  // The dynamic range is full: the static one is the fallback, as upstream's.
  for (let n = cidr.base + 2; n < first; n++) if (!taken.has(intToIp(n))) return intToIp(n);
  throw invalid(SERVICE_REF, '', [
    { reason: 'FieldValueInvalid', message: 'failed to allocate a serviceIP: range is full', field: 'spec.clusterIPs' },
  ]);
}

function pickPort(taken: Taken<number>, random: () => number): number {
  const count = NODE_PORT_MAX - NODE_PORT_MIN + 1;
  const start = Math.floor(random() * count);
  for (let i = 0; i < count; i++) {
    const port = NODE_PORT_MIN + ((start + i) % count);
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
  throw invalid(SERVICE_REF, '', [
    { reason: 'FieldValueInvalid', message: 'range is full', field: 'spec.ports[0].nodePort' },
  ]);
}

/** Keeps the `kubernetes` Service, its Endpoints and its EndpointSlice. */
export class ServiceController {
  readonly name = 'service' as const;

  constructor(private readonly rt: ControllerRuntime) {
    const mine = (key: string) => key === 'default/kubernetes';
    rt.watch(Service, (e) => mine(e.key) && rt.enqueue(this.name, e.key));
    rt.watch(Endpoints, (e) => mine(e.key) && rt.enqueue(this.name, e.key));
    rt.watch(EndpointSlice, (e) => mine(e.key) && rt.enqueue(this.name, e.key));
    rt.enqueue(this.name, 'default/kubernetes');
  }

  sync(): void {
    const { ip, port } = this.rt.settings.apiServerAddress;
    const labels = { component: 'apiserver', provider: 'kubernetes' };
    const ports = [{ name: 'https', port, protocol: 'TCP' }];
    if (!this.rt.get(Service, 'default', 'kubernetes')) {
      this.rt.create(this.name, APISERVER, Service, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kubernetes', namespace: 'default', labels },
        spec: {
          clusterIP: firstServiceIp(this.rt.settings.serviceCidr),
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
          sessionAffinity: 'None',
          type: 'ClusterIP',
        },
      });
    }
    const subsets = [{ addresses: [{ ip }], ports }];
    const endpoints = this.rt.get(Endpoints, 'default', 'kubernetes');
    const wantEndpoints: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
      },
      subsets,
    };
    if (!endpoints) this.rt.create(this.name, APISERVER, Endpoints, wantEndpoints);
    else
      this.rt.update(this.name, APISERVER, Endpoints, endpoints, {
        ...wantEndpoints,
        metadata: { ...endpoints.object.metadata, labels: wantEndpoints.metadata.labels },
      });
    const slice = this.rt.get(EndpointSlice, 'default', 'kubernetes');
    const wantSlice: KubeObject = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ip], conditions: { ready: true } }],
      ports,
    };
    if (!slice) this.rt.create(this.name, APISERVER, EndpointSlice, wantSlice);
    else
      this.rt.update(this.name, APISERVER, EndpointSlice, slice, {
        ...wantSlice,
        metadata: { ...slice.object.metadata, labels: wantSlice.metadata.labels },
      });
  }
}
