/**
 * The built-in controllers of the emulated cluster: what kube-controller-manager, kube-scheduler
 * and the kubelets of a few simulated Nodes do on their own, so an operator's tests see a
 * Deployment turn Available, a Job complete, a Service get endpoints and a namespace its
 * `default` ServiceAccount. Each controller is one file; they share `runtime.ts` (queue, clock,
 * writes through the cluster's write path under their real manager names) and see the cluster
 * through {@link ControllerCluster}, which the registry's `Cluster` satisfies.
 */
import type { ControllerName, SimulationOptions } from '../types.js';
import { CA_BUNDLE } from './ca.js';
import { CronJobController } from './cronjob.js';
import { DaemonSetController } from './daemonset.js';
import { defaultsAdmission } from './defaults.js';
import { DeploymentController } from './deployment.js';
import { EndpointsController } from './endpoints.js';
import { EndpointSliceController } from './endpointslice.js';
import { JobController } from './job.js';
import { KubeletController } from './kubelet.js';
import { NodeLifecycleController } from './node-lifecycle.js';
import { NodesController } from './nodes.js';
import { checkPodRules } from './pod-outcomes.js';
import { ReplicaSetController } from './replicaset.js';
import { RootCaPublisher } from './root-ca.js';
import { ControllerRuntime } from './runtime.js';
import { SchedulerController } from './scheduler.js';
import { ServiceController, serviceAdmission } from './service.js';
import { ServiceAccountController } from './serviceaccount.js';
import { StatefulSetController } from './statefulset.js';
import type { ControllerCluster, SimulationSettings } from './types.js';

export type { ControllerCluster } from './types.js';

/** Every built-in controller, in the order they start. */
export const CONTROLLER_NAMES: readonly ControllerName[] = [
  'defaults',
  'service',
  'serviceaccount',
  'root-ca-cert-publisher',
  'nodes',
  'node-lifecycle',
  'scheduler',
  'kubelet',
  'replicaset',
  'deployment',
  'statefulset',
  'daemonset',
  'job',
  'cronjob',
  'endpointslice',
  'endpoints',
];

/** The controllers `startApiServer`'s `controllers` option asks for; throws on an unknown name. */
export function controllerNames(option: boolean | readonly string[] | undefined): ControllerName[] {
  if (option === undefined || option === false) return [];
  if (option === true) return [...CONTROLLER_NAMES];
  for (const name of option) {
    if (!CONTROLLER_NAMES.includes(name as ControllerName)) {
      throw new TypeError(`unknown controller ${JSON.stringify(name)}; known: ${CONTROLLER_NAMES.join(', ')}`);
    }
  }
  return CONTROLLER_NAMES.filter((n) => option.includes(n));
}

/** The simulation's settings with defaults filled in. */
export function simulationSettings(
  options: SimulationOptions = {},
  apiServerAddress: { ip: string; port: number },
): SimulationSettings {
  const nodes = options.nodes ?? 3;
  const nodeNames = typeof nodes === 'number' ? Array.from({ length: nodes }, (_, i) => `node-${i + 1}`) : [...nodes];
  const podRules = options.podRules ?? [];
  checkPodRules(podRules);
  return {
    nodeNames,
    startDelayMs: options.startDelayMs ?? 100,
    readyDelayMs: options.readyDelayMs ?? 100,
    runMs: options.runMs ?? 100,
    deletionDelayMs: options.deletionDelayMs ?? 300,
    nodeNotReadyGraceMs: options.nodeNotReadyGraceMs ?? 5000,
    podRules,
    serviceCidr: options.serviceCidr ?? '10.96.0.0/12',
    caBundle: options.caBundle ?? CA_BUNDLE,
    apiServerAddress,
  };
}

/** The running built-in controllers. */
export interface RunningControllers {
  readonly runtime: ControllerRuntime;
  readonly names: readonly ControllerName[];
  setNodeReady(name: string, ready: boolean): void;
}

/** Starts `names` on `cluster` (admission steps at once; syncs from the next macrotask). */
export function startControllers(
  cluster: ControllerCluster,
  names: readonly ControllerName[],
  settings: SimulationSettings,
): RunningControllers {
  const rt = new ControllerRuntime(cluster, settings);
  const on = new Set(names);
  let nodes: NodesController | undefined;
  if (on.has('defaults')) cluster.admission.push(defaultsAdmission(cluster.random));
  if (on.has('service')) {
    cluster.admission.push(serviceAdmission(cluster, settings));
    rt.register(new ServiceController(rt));
  }
  const make: Partial<Record<ControllerName, () => { name: ControllerName; sync(key: string): void }>> = {
    serviceaccount: () => new ServiceAccountController(rt),
    'root-ca-cert-publisher': () => new RootCaPublisher(rt),
    nodes: () => {
      nodes = new NodesController(rt);
      return nodes;
    },
    'node-lifecycle': () => new NodeLifecycleController(rt),
    scheduler: () => new SchedulerController(rt),
    kubelet: () => new KubeletController(rt),
    replicaset: () => new ReplicaSetController(rt),
    deployment: () => new DeploymentController(rt),
    statefulset: () => new StatefulSetController(rt),
    daemonset: () => new DaemonSetController(rt),
    job: () => new JobController(rt),
    cronjob: () => new CronJobController(rt),
    endpointslice: () => new EndpointSliceController(rt),
    endpoints: () => new EndpointsController(rt),
  };
  for (const name of names) {
    const factory = make[name];
    if (factory) rt.register(factory());
  }
  return {
    runtime: rt,
    names,
    setNodeReady(name, ready) {
      if (!nodes) throw new Error('the "nodes" controller is not running');
      nodes.setReady(name, ready);
    },
  };
}
