/**
 * What the demo runs beside the three examples so every view of the dashboard has something to
 * show: a controller with a classic bug (it records every pass in an annotation, so each write
 * sets it off again: kloop flags the hot loop), a StateDB table of the Pods reflected
 * from the shared informer, and, with `--watch`, a trickle of ConfigMap changes that keeps the
 * charts moving.
 */
import type { KubeClient } from '../client/index.js';
import { labelSelector } from '../controller/index.js';
import { type CancelTimer, type Clock, ConfigMap, type KubeObject, Pod, systemClock } from '../core/index.js';
import type { Manager } from '../manager/index.js';
import { StateDB, startReflector } from '../statedb/index.js';

/** The label that puts a ConfigMap under the heartbeat controller. */
export const HEARTBEAT_LABEL = 'kloop.dev/demo-heartbeat';
/** The annotation the heartbeat controller rewrites on every pass (its bug). */
export const HEARTBEAT_ANNOTATION = 'kloop.dev/passes';
/** The controller's name, as metrics and the dashboard show it. */
export const HEARTBEAT_CONTROLLER = 'heartbeat';

/**
 * A controller that counts its passes in an annotation of the object it reconciles: each write is
 * an update event of its own `for` object, which reconciles it again. kloop reports it after five laps
 * (`kloop_hot_loops_total`, a warning, the debug document's `hotLoops`); the demo then deletes the
 * object, which ends the loop.
 */
export function heartbeatController(mgr: Manager): void {
  mgr
    .controller(HEARTBEAT_CONTROLLER)
    .for(ConfigMap, { predicates: [labelSelector(`${HEARTBEAT_LABEL}=true`)] })
    .reconcile(async (req, ctx) => {
      await ctx.client.mutate(ConfigMap, req.key, (cm) => {
        // The bug: a value that differs on every pass. A timestamp, a status condition's
        // lastTransitionTime set unconditionally, or a map rebuilt in another order loop the same way.
        const passes = Number(cm.metadata.annotations?.[HEARTBEAT_ANNOTATION] ?? 0) + 1;
        cm.metadata.annotations = { ...cm.metadata.annotations, [HEARTBEAT_ANNOTATION]: String(passes) };
      });
    });
}

/** A Pod as the table keeps it. */
export interface PodRow {
  key: string;
  node: string;
  phase: string;
}

/** A StateDB with a `pods` table mirrored from the manager's Pod informer, shown in `/debug/kloop`. */
export function podTable(mgr: Manager): { db: StateDB; stop: () => void } {
  const db = new StateDB();
  const pods = db.table<PodRow>('pods', {
    primary: (p) => p.key,
    indexes: { node: { key: (p) => p.node, unique: false }, phase: { key: (p) => p.phase, unique: false } },
  });
  const reflector = startReflector({
    db,
    table: pods,
    informer: mgr.informer<KubeObject & { spec?: { nodeName?: string }; status?: { phase?: string } }>(Pod),
    transform: (p) => ({
      key: `${p.metadata.namespace}/${p.metadata.name}`,
      node: p.spec?.nodeName ?? '',
      phase: p.status?.phase ?? 'Pending',
    }),
  });
  mgr.addDebugSection('statedb', () => db.describe());
  return { db, stop: () => reflector.stop() };
}

/** Options of {@link startTrickle}. */
export interface TrickleOptions {
  /** Default the system clock; tests pass a `ManualClock`. */
  clock?: Clock;
  /** Told of a change that failed (the next turn tries the next ConfigMap). */
  onError?: (err: unknown, name: string) => void;
}

/**
 * With `--watch`: every `everyMs`, a change a user would make (one ConfigMap's data, each in turn,
 * with the next colour) so the mirror reconciles, writes and the dashboard's charts move. Returns
 * the stop function.
 */
export function startTrickle(
  kube: Pick<KubeClient, 'patch'>,
  namespace: string,
  names: readonly string[],
  everyMs: number,
  options: TrickleOptions = {},
): () => void {
  const clock = options.clock ?? systemClock;
  let turn = 0;
  let stopped = false;
  let cancel: CancelTimer = () => {};
  const colors = ['blue', 'green', 'red', 'orange', 'purple'];
  const next = (): void => {
    if (stopped) return;
    const name = names[turn % names.length]!;
    const color = colors[turn % colors.length]!;
    turn++;
    kube
      .patch({ type: ConfigMap, key: { namespace, name } }, { data: { color } }, { type: 'merge' })
      .catch((err: unknown) => options.onError?.(err, name));
    cancel = clock.setTimer(next, everyMs);
  };
  cancel = clock.setTimer(next, everyMs);
  return () => {
    stopped = true;
    cancel();
  };
}
