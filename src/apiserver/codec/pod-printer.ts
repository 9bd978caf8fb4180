/**
 * kubectl's `printPod` (pkg/printers/internalversion/printers.go): the Ready, Status and Restarts
 * cells of a Pod row, with init containers, restartable (sidecar) init containers, `Completed`
 * for a finished container, `Terminating` for a deleting Pod that has not finished, and restarts
 * as `N (AGE ago)` after the last termination.
 */
import { isPlainObject, type KubeObject } from '../../core/index.js';
import { humanDuration } from './human-duration.js';

function readyConditionTrue(conditions: readonly Record<string, unknown>[]): boolean {
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  started?: boolean;
  state?: { waiting?: { reason?: string }; running?: unknown; terminated?: Terminated };
  lastState?: { terminated?: Terminated };
}

interface Terminated {
  reason?: string;
  exitCode?: number;
  signal?: number;
  finishedAt?: string;
}

/** kubectl's `printPod`: the Ready, Status and Restarts cells of a Pod. */
export function podCells(o: KubeObject, now: number): { ready: string; reason: string; restarts: string } {
  const spec = isPlainObject(o.spec) ? o.spec : {};
  const status = isPlainObject(o.status) ? o.status : {};
  const containersSpec = Array.isArray(spec.containers) ? spec.containers : [];
  const initSpec = (Array.isArray(spec.initContainers) ? spec.initContainers : []).filter(isPlainObject);
  const restartable = (name: unknown) => initSpec.some((c) => c.name === name && c.restartPolicy === 'Always');
  const total = containersSpec.length + initSpec.filter((c) => c.restartPolicy === 'Always').length;
  let readyCount = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;
  const phase = String(status.phase ?? '');
  let reason = typeof status.reason === 'string' && status.reason !== '' ? status.reason : phase;
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isPlainObject) : [];
  if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';
  const finishedAt = (t: Terminated | undefined) => (t?.finishedAt ? Date.parse(t.finishedAt) || 0 : 0);
  const inits = (Array.isArray(status.initContainerStatuses) ? status.initContainerStatuses : []) as ContainerStatus[];
  let initializing = false;
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i];
    restarts += c.restartCount ?? 0;
    lastRestart = Math.max(lastRestart, finishedAt(c.lastState?.terminated));
    if (restartable(c.name)) {
      sidecarRestarts += c.restartCount ?? 0;
      lastSidecarRestart = Math.max(lastSidecarRestart, finishedAt(c.lastState?.terminated));
    }
    const t = c.state?.terminated;
    if (t && t.exitCode === 0) continue;
    if (restartable(c.name) && c.started === true) {
      if (c.ready) readyCount++;
      continue;
    }
    if (t) {
      reason = t.reason
        ? `Init:${t.reason}`
        : t.signal
          ? `Init:Signal:${t.signal}`
          : `Init:ExitCode:${t.exitCode ?? 0}`;
    } else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${c.state.waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpec.length}`;
    }
    initializing = true;
    break;
  }
  const initialized = conditions.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const list = (Array.isArray(status.containerStatuses) ? status.containerStatuses : []) as ContainerStatus[];
    for (let i = list.length - 1; i >= 0; i--) {
      const c = list[i];
      restarts += c.restartCount ?? 0;
      lastRestart = Math.max(lastRestart, finishedAt(c.lastState?.terminated));
      const t = c.state?.terminated;
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (t?.reason) reason = t.reason;
      else if (t) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode ?? 0}`;
      else if (c.ready && c.state?.running !== undefined) {
        hasRunning = true;
        readyCount++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = readyConditionTrue(conditions) ? 'Running' : 'NotReady';
  }
  if (o.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (o.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  const restartsText =
    restarts !== 0 && lastRestart > 0 ? `${restarts} (${humanDuration(now - lastRestart)} ago)` : String(restarts);
  return { ready: `${readyCount}/${total}`, reason, restarts: restartsText };
}
