/**
 * The built-in controllers' interfaces: what of the cluster they use ({@link ControllerCluster},
 * which the registry's `Cluster` satisfies without knowing of them), what one controller is
 * ({@link BuiltinController}), and the settings of the simulation they run.
 */
import type { KubeObject } from '../../core/index.js';
import type { AdmissionHook, ClusterAccess, WriteOptions, WriteResult } from '../registry/types.js';
import type { ServedType } from '../served/served-types.js';
import type { StoredObject } from '../storage/store.js';
import type { ControllerName, PodRule } from '../types.js';

/**
 * The cluster as the controllers see it: the reactions' view plus the full update path (with
 * managedFields and admission), the admission chain they extend, and the random source for names.
 */
export interface ControllerCluster extends ClusterAccess {
  readonly admission: AdmissionHook[];
  readonly random: () => number;
  update(
    served: ServedType,
    current: StoredObject,
    incoming: KubeObject,
    subresource: string | undefined,
    options?: WriteOptions,
  ): WriteResult;
}

/** One built-in controller: reconciles one key (`namespace/name` or `name`) at a time. */
export interface BuiltinController {
  readonly name: ControllerName;
  /** Brings the object at `key` (of the controller's own kind) to its desired state. */
  sync(key: string): void;
}

/** The simulation's settings, with every default filled in. */
export interface SimulationSettings {
  /** Names of the simulated Nodes. */
  nodeNames: readonly string[];
  /** Scheduled -> containers running. */
  startDelayMs: number;
  /** Running -> Ready. */
  readyDelayMs: number;
  /** How long a container that runs to completion (Job pods, `exit:N`) runs. */
  runMs: number;
  /** Deletion requested -> containers stopped and the Pod removed (unless `ignore-sigterm`). */
  deletionDelayMs: number;
  /** A Node turned NotReady -> its Pods turn NotReady (the node lifecycle controller's delay). */
  nodeNotReadyGraceMs: number;
  /** Scripted Pod outcomes, first match wins (the annotation wins over every rule). */
  podRules: readonly PodRule[];
  /** The Service CIDR (IPv4), e.g. `10.96.0.0/12`. */
  serviceCidr: string;
  /** The CA bundle published in every namespace's `kube-root-ca.crt`. */
  caBundle: string;
  /** The API server's own address and port, for the `kubernetes` Service's endpoints. */
  apiServerAddress: { ip: string; port: number };
}
