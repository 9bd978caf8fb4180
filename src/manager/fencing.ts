/**
 * How the manager keeps a reconcile from writing when it may not: a reconcile of a key whose
 * shard this replica does not hold is skipped before it runs, and the client the reconciler gets
 * refuses every write (`KLOOP_WRITE_FENCED`) once the shard is lost mid-reconcile. Leader election
 * needs none of this: its fence is the whole client's (`CachedClient`'s `fence` option).
 *
 * The builder subclass is how the manager wraps reconcilers without the controller knowing about
 * shards: `.reconcile(fn)` registers `wrap(fn)` instead of `fn`.
 */
import { ControllerBuilder } from '../controller/builder.js';
import { WriteFencedError } from '../controller/cached-client.js';
import type { Controller, ControllerDeps } from '../controller/controller.js';
import type { CachedClientApi, Reconciler } from '../controller/types.js';

/** The methods of `CachedClientApi` that send something. */
const WRITES = new Set(['create', 'patch', 'mutate', 'mutateStatus', 'apply', 'delete', 'ensureFinalizer', 'removeFinalizer']);

/**
 * A view of `client` whose writes first ask `mayWrite()`; reads pass through.
 *
 * @example
 * ```ts
 * const client = fencedClient(ctx.client, () => sharder.owns(req.key));
 * await client.apply(desired, { fieldManager: 'me' }); // throws WriteFencedError once the shard is lost
 * ```
 */
export function fencedClient(client: CachedClientApi, mayWrite: () => boolean): CachedClientApi {
  const events = {
    record: (...args: Parameters<CachedClientApi['events']['record']>) => {
      if (!mayWrite()) throw new WriteFencedError();
      return client.events.record(...args);
    },
  };
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'events') return events;
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (typeof prop === 'string' && WRITES.has(prop)) {
        return (...args: unknown[]) => {
          if (!mayWrite()) return Promise.reject(new WriteFencedError());
          return method.apply(target, args);
        };
      }
      return method.bind(target);
    },
  });
}

/** A `ControllerBuilder` whose `.reconcile(fn)` registers `wrap(fn)`. */
export class WrappingControllerBuilder extends ControllerBuilder {
  readonly #wrap: (fn: Reconciler, controller: string) => Reconciler;
  readonly #controllerName: string;

  constructor(
    name: string,
    deps: ControllerDeps,
    register: (controller: Controller) => void,
    wrap: (fn: Reconciler, controller: string) => Reconciler,
  ) {
    super(name, deps, register);
    this.#wrap = wrap;
    this.#controllerName = name;
  }

  /** Ends the chain: builds and registers the controller around the wrapped reconciler. */
  override reconcile(fn: Reconciler): Controller {
    return super.reconcile(this.#wrap(fn, this.#controllerName));
  }
}
