/**
 * The simulated Nodes: each registers itself as its kubelet does (labels, `podCIDR`, capacity)
 * and reports its status (kwok's defaults: `Ready` True `KubeletReady` "kubelet is posting ready
 * status", the pressure conditions False, addresses, `nodeInfo`, `daemonEndpoints`). A test
 * makes a Node's kubelet report NotReady with `controllers.setNodeReady(name, false)`; a Node a
 * client deletes is registered again, as a running kubelet would.
 *
 * Not simulated: heartbeats (`lastHeartbeatTime` moves only when the status changes) and Node
 * leases; images, volumes and resource accounting (capacity is never used up).
 */
import { Node } from '../../core/index.js';
import type { ControllerRuntime } from './runtime.js';
import { copyOf } from './runtime.js';
import type { BuiltinController } from './types.js';

const KUBELET = 'kubelet';
/** The Kubernetes version the simulated kubelets report. */
export const KUBELET_VERSION = 'v1.33.1';

/** Registers and reports the simulated Nodes. */
export class NodesController implements BuiltinController {
  readonly name = 'nodes' as const;
  private readonly ready = new Map<string, boolean>();

  constructor(private readonly rt: ControllerRuntime) {
    for (const name of rt.settings.nodeNames) this.ready.set(name, true);
    rt.watch(Node, (e) => {
      if (this.ready.has(e.key)) rt.enqueue(this.name, e.key);
    });
    for (const name of rt.settings.nodeNames) rt.enqueue(this.name, name);
  }

  /** What the kubelet of `name` reports (false: NotReady). */
  setReady(name: string, ready: boolean): void {
    if (!this.ready.has(name)) throw new Error(`no simulated Node named ${JSON.stringify(name)}`);
    this.ready.set(name, ready);
    this.rt.enqueue(this.name, name);
  }

  sync(name: string): void {
    const index = this.rt.settings.nodeNames.indexOf(name);
    if (index < 0) return;
    let stored = this.rt.get(Node, undefined, name);
    if (!stored) {
      stored = this.rt.create(this.name, KUBELET, Node, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          labels: {
            'beta.kubernetes.io/arch': 'amd64',
            'beta.kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'node.kubernetes.io/instance-type': 'kloop',
            'topology.kubernetes.io/zone': 'zone-a',
          },
          annotations: {
            'node.alpha.kubernetes.io/ttl': '0',
            'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
          },
        },
        spec: { podCIDR: `10.244.${index}.0/24`, podCIDRs: [`10.244.${index}.0/24`], providerID: `kloop://${name}` },
      });
      if (!stored) return;
    }
    const next = copyOf(stored);
    const now = this.rt.timestamp();
    const ready = this.ready.get(name) === true;
    const previous = Array.isArray((stored.object.status as { conditions?: unknown })?.conditions)
      ? ((stored.object.status as { conditions: { type: string; status: string; lastTransitionTime?: string }[] })
          .conditions ?? [])
      : [];
    const cond = (type: string, status: string, reason: string, message: string) => {
      const before = previous.find((c) => c.type === type);
      const same = before?.status === status;
      return {
        type,
        status,
        lastHeartbeatTime: same ? ((before as { lastHeartbeatTime?: string }).lastHeartbeatTime ?? now) : now,
        lastTransitionTime: same ? (before.lastTransitionTime ?? now) : now,
        reason,
        message,
      };
    };
    const capacity = {
      cpu: '32',
      'ephemeral-storage': '1Ti',
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
      memory: '131072Mi',
      pods: '110',
    };
    next.status = {
      capacity,
      allocatable: capacity,
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ready
          ? cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
          : cond('Ready', 'False', 'KubeletNotReady', 'container runtime is down'),
      ],
      addresses: [
        { type: 'InternalIP', address: `172.18.0.${index + 2}` },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: `kloop-boot-${name}`,
        containerRuntimeVersion: 'containerd://2.0.5',
        kernelVersion: '6.1.0-kloop',
        kubeProxyVersion: KUBELET_VERSION,
        kubeletVersion: KUBELET_VERSION,
        machineID: `kloop-machine-${name}`,
        operatingSystem: 'linux',
        osImage: 'kloop simulated node',
        systemUUID: `kloop-${name}`,
      },
    };
    this.rt.update(this.name, KUBELET, Node, stored, next, 'status');
  }
}
