/**
 * How the manager keeps a process from writing when it may not. There is one mechanism: the
 * cached client asks its fence (core's `WriteFence`) before every write it sends, and every
 * writer of a controller is that client (`mgr.client`, each `ctx.client` view, their Events and
 * `direct` writes). This file gives the manager's answer:
 *
 * - leader election: the elector's `fenceSignal()` for every write;
 * - sharding: the fence of the shard of the reconcile making the write (whatever the key of the
 *   object written: Events and owned objects follow their reconcile), none outside a reconcile.
 *
 * Sharding also skips, before it runs, a reconcile of a key whose shard this replica does not
 * hold: the builder subclass below registers `wrap(fn)` instead of `fn`, so the controller needs
 * to know nothing about shards.
 */
import { type Controller, ControllerBuilder, type ControllerDeps, type Reconciler } from '../controller/index.js';
import type { FencedWrite, WriteFence } from '../core/index.js';
import type { LeaderElector } from './leader-election.js';
import type { Sharder } from './sharding.js';

/**
 * The manager's fence: the leader's, or with sharding the shard's of the reconcile making the
 * write; `undefined` (not fenced) with neither, and for writes made outside a reconcile under
 * sharding (e.g. `mgr.client` from user code).
 *
 * @example
 * ```ts
 * import { CachedClient, InformerFactory, KubeClient, type LeaderElector } from 'kloop';
 * declare const elector: LeaderElector;
 *
 * const kube = KubeClient.fromKubeconfig();
 * const informers = new InformerFactory(kube);
 * const client = new CachedClient({ transport: kube, informers, fence: managerFence({ elector }) });
 * ```
 */
export function managerFence(lease: { elector?: LeaderElector; sharder?: Sharder }): WriteFence {
  const { elector, sharder } = lease;
  return (write: FencedWrite) => {
    if (elector) return elector.fenceSignal();
    return sharder && write.reconcileKey ? sharder.fenceSignal(write.reconcileKey) : undefined;
  };
}

/** A `ControllerBuilder` whose `.reconcile(fn)` registers `wrap(fn)`. */
export class WrappingControllerBuilder extends ControllerBuilder {
  readonly #wrap: (fn: Reconciler) => Reconciler;

  constructor(
    name: string,
    deps: ControllerDeps,
    register: (controller: Controller) => void,
    wrap: (fn: Reconciler) => Reconciler,
  ) {
    super(name, deps, register);
    this.#wrap = wrap;
  }

  /** Ends the chain: builds and registers the controller around the wrapped reconciler. */
  override reconcile(fn: Reconciler): Controller {
    return super.reconcile(this.#wrap(fn));
  }
}
