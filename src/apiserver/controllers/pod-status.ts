/**
 * The Pod status a kubelet writes, rendered from where the simulated kubelet is in a Pod's
 * script ({@link PodTrack}): phase, the five conditions in the kubelet's order
 * (`PodReadyToStartContainers`, `Initialized`, `Ready`, `ContainersReady`, `PodScheduled`),
 * `hostIP(s)`, `podIP(s)`, `startTime`, `qosClass` and `containerStatuses` with `containerd://`
 * ids, as kubelet 1.29+ writes them (pkg/kubelet/status).
 */
import { createHash } from 'node:crypto';
import { isPlainObject, type KubeObject } from '../../core/index.js';
import { type Condition, conditionsOf, specOf, statusOf } from './objects.js';

/** Where a Pod's containers are. */
export type PodStage = 'creating' | 'running' | 'backoff' | 'pull-error' | 'pull-backoff' | 'exited' | 'stopped';

/** A container's last termination. */
export interface Termination {
  exitCode: number;
  reason: string;
  startedAt: string;
  finishedAt: string;
}

/** The simulated kubelet's memory of one Pod. */
export interface PodTrack {
  uid: string;
  stage: PodStage;
  /** Clock time (ms) the stage began. */
  since: number;
  ready: boolean;
  restarts: number;
  /** Wall time the current run of the containers started. */
  startedAt?: string;
  /** The current termination (stages `exited`, `stopped`) or the last one (`backoff`). */
  terminated?: Termination;
  /** Back-off of the current `backoff` stage (ms). */
  backoffMs?: number;
  /** Clock time the kubelet saw the deletion. */
  deletingSince?: number;
  podIP: string;
  hostIP: string;
  startTime: string;
}

interface Container {
  name: string;
  image: string;
}

function containersOf(pod: KubeObject, field: 'containers' | 'initContainers'): Container[] {
  const list = specOf(pod)[field];
  if (!Array.isArray(list)) return [];
  return list.filter(isPlainObject).map((c) => ({ name: String(c.name ?? ''), image: String(c.image ?? '') }));
}

/** `nginx:1.27` -> `docker.io/library/nginx:1.27`, as containerd reports images. */
export function normalizeImage(image: string): string {
  let name = image;
  const firstSlash = name.indexOf('/');
  const first = firstSlash < 0 ? '' : name.slice(0, firstSlash);
  if (firstSlash < 0) name = `docker.io/library/${name}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') name = `docker.io/${name}`;
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  if (!lastSegment.includes(':') && !lastSegment.includes('@')) name += ':latest';
  return name;
}

function hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `qosClass` from the containers' requests and limits (BestEffort, Burstable, Guaranteed). */
export function qosClassOf(pod: KubeObject): string {
  const containers = [
    ...((specOf(pod).containers as unknown[]) ?? []),
    ...((specOf(pod).initContainers as unknown[]) ?? []),
  ].filter(isPlainObject);
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const resources = isPlainObject(c.resources) ? c.resources : {};
    const requests = isPlainObject(resources.requests) ? resources.requests : {};
    const limits = isPlainObject(resources.limits) ? resources.limits : {};
    if (Object.keys(requests).length > 0 || Object.keys(limits).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      const limit = limits[r];
      const request = requests[r] ?? limit;
      if (limit === undefined || String(request) !== String(limit)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function terminatedState(t: Termination, id: string): Record<string, unknown> {
  return {
    terminated: {
      exitCode: t.exitCode,
      reason: t.reason,
      startedAt: t.startedAt,
      finishedAt: t.finishedAt,
      containerID: id,
    },
  };
}

/** The phase of a Pod at its stage. */
export function phaseOfStage(track: PodTrack): string {
  switch (track.stage) {
    case 'creating':
    case 'pull-error':
    case 'pull-backoff':
      return 'Pending';
    case 'running':
    case 'backoff':
      return 'Running';
    case 'exited':
    case 'stopped':
      return track.terminated?.exitCode === 0 ? 'Succeeded' : 'Failed';
  }
}

/** The status the kubelet writes for `pod` at `track`; conditions keep their transition times. */
export function renderPodStatus(pod: KubeObject, track: PodTrack, now: string): Record<string, unknown> {
  const containers = containersOf(pod, 'containers');
  const inits = containersOf(pod, 'initContainers');
  const phase = phaseOfStage(track);
  const finished = phase === 'Succeeded' || phase === 'Failed';
  const sandboxReady = track.stage !== 'creating' && track.stage !== 'stopped' && !finished;
  const containersReady = track.stage === 'running' && track.ready;
  const names = containers.map((c) => c.name).join(' ');
  const notReady = finished
    ? { reason: phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed' }
    : { reason: 'ContainersNotReady', message: `containers with unready status: [${names}]` };
  const previous = conditionsOf(pod);
  const cond = (type: string, ok: boolean, why?: { reason: string; message?: string }): Condition => {
    const status = ok ? 'True' : 'False';
    const before = previous.find((c) => c.type === type);
    const c: Condition = {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: before?.status === status ? (before.lastTransitionTime ?? now) : now,
    };
    if (!ok && why) {
      c.reason = why.reason;
      if (why.message !== undefined) c.message = why.message;
    }
    return c;
  };
  const scheduled = previous.find((c) => c.type === 'PodScheduled') ?? cond('PodScheduled', true);
  const conditions: Condition[] = [
    cond('PodReadyToStartContainers', sandboxReady),
    cond('Initialized', true),
    cond('Ready', containersReady, notReady),
    cond('ContainersReady', containersReady, notReady),
    scheduled,
  ];
  const uid = track.uid;
  const containerId = (name: string, restarts: number) => `containerd://${hex(`${uid}/${name}/${restarts}`)}`;
  const statusOfContainer = (c: Container): Record<string, unknown> => {
    const image = normalizeImage(c.image);
    const out: Record<string, unknown> = { name: c.name, image, imageID: '', ready: false, restartCount: 0 };
    const id = containerId(c.name, track.restarts);
    out.restartCount = track.restarts;
    out.started = false;
    out.lastState = {};
    switch (track.stage) {
      case 'creating':
        out.state = { waiting: { reason: 'ContainerCreating' } };
        return out;
      case 'pull-error':
      case 'pull-backoff':
        out.state = {
          waiting:
            track.stage === 'pull-error'
              ? {
                  reason: 'ErrImagePull',
                  message: `failed to pull and unpack image "${image}": failed to resolve reference "${image}": not found`,
                }
              : { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` },
        };
        return out;
      default:
        break;
    }
    out.imageID = `${image.replace(/:[^:/@]*$/, '')}@sha256:${hex(image)}`;
    out.containerID = id;
    if (track.stage === 'running') {
      out.ready = track.ready;
      out.started = true;
      out.state = { running: { startedAt: track.startedAt ?? now } };
      if (track.restarts > 0 && track.terminated) {
        out.lastState = terminatedState(track.terminated, containerId(c.name, track.restarts - 1));
      }
    } else if (track.stage === 'backoff' && track.terminated) {
      const seconds = Math.round((track.backoffMs ?? 10_000) / 1000);
      out.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${seconds % 60}s`} restarting failed container=${c.name} pod=${String(pod.metadata.name)}_${String(pod.metadata.namespace)}(${uid})`,
        },
      };
      out.lastState = terminatedState(track.terminated, containerId(c.name, track.restarts - 1));
    } else if (track.terminated) {
      out.state = terminatedState(track.terminated, id);
    }
    return out;
  };
  const status: Record<string, unknown> = {
    phase,
    conditions,
    hostIP: track.hostIP,
    hostIPs: [{ ip: track.hostIP }],
  };
  // The Pod IP comes with its sandbox: none while the sandbox is still being created.
  if (track.stage !== 'creating') {
    status.podIP = track.podIP;
    status.podIPs = [{ ip: track.podIP }];
  }
  Object.assign(status, {
    startTime: track.startTime,
    qosClass: qosClassOf(pod),
    containerStatuses: containers.map(statusOfContainer),
  });
  if (inits.length > 0) {
    status.initContainerStatuses = inits.map((c) => {
      const image = normalizeImage(c.image);
      const id = containerId(c.name, 0);
      return {
        name: c.name,
        image,
        imageID: `${image.replace(/:[^:/@]*$/, '')}@sha256:${hex(image)}`,
        containerID: id,
        ready: true,
        started: false,
        restartCount: 0,
        lastState: {},
        state: terminatedState(
          { exitCode: 0, reason: 'Completed', startedAt: track.startTime, finishedAt: track.startTime },
          id,
        ),
      };
    });
  }
  // What a user or another writer put there and the kubelet does not own stays (e.g. nominatedNodeName).
  const kept = statusOf(pod);
  for (const k of ['nominatedNodeName', 'resize', 'resourceClaimStatuses']) if (k in kept) status[k] = kept[k];
  // Conditions others own (DisruptionTarget, readiness gates' types) stay after the kubelet's.
  const own = new Set(conditions.map((c) => c.type));
  for (const c of previous) if (!own.has(c.type)) conditions.push(c);
  return status;
}
