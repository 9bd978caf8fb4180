/**
 * How the manager keeps a reconcile from writing when it may not: a reconcile of a key whose
 * shard this replica does not hold is skipped before it runs, and the client the reconciler gets
 * refuses every write (`KLOOP_WRITE_FENCED`) once the shard is lost mid-reconcile. Leader election
 * needs none of this: its fence is the whole client's (`CachedClient`'s `fence` option).
 *
 * The builder subclass is how the manager wraps reconcilers without the controller knowing about
 * shards: `.reconcile(fn)` registers `wrap(fn)` instead of `fn`.
 */
import {
  type CachedClientApi,
  type Controller,
  ControllerBuilder,
  type ControllerDeps,
  type Reconciler,
  WriteFencedError,
  type WriteTransport,
} from '../controller/index.js';
import type { KubeObject, ObjectKey, TypeRef } from '../core/index.js';

/** The methods of `CachedClientApi` that send something. */
const WRITES = new Set([
  'create',
  'patch',
  'mutate',
  'mutateStatus',
  'apply',
  'delete',
  'ensureFinalizer',
  'removeFinalizer',
]);

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

/** Which write a fence is asked about: the object's type and key. */
export interface FenceTarget {
  type: TypeRef;
  key: ObjectKey;
}

function withSignal(own: AbortSignal | undefined, fence: AbortSignal | undefined): AbortSignal | undefined {
  if (fence === undefined) return own;
  return own === undefined ? fence : AbortSignal.any([own, fence]);
}

/**
 * A view of `transport` whose writes carry `fence(target)`'s AbortSignal (merged with the
 * caller's). The client checks its fence before a write's first attempt only; the signal also
 * stops what happens after: a 429's `Retry-After` wait and the retry it leads to, and the request
 * still in the air when the renew deadline passes. A fence already aborted fails the write with
 * its reason (`KLOOP_WRITE_FENCED`) before anything is sent. Reads pass through.
 *
 * @example
 * ```ts
 * const transport = fencedTransport(kube, () => elector.fenceSignal());
 * const client = new CachedClient({ transport, informers, fence: () => elector.canWrite() });
 * ```
 *
 * @remarks A request whose bytes already reached the server before the abort may still be
 * applied; the margin against that is `leaseDuration - renewDeadline` (docs/sharding.md).
 */
export function fencedTransport(
  transport: WriteTransport,
  fence: (target: FenceTarget) => AbortSignal | undefined,
): WriteTransport {
  const check = (signal: AbortSignal | undefined): void => {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new WriteFencedError();
  };
  const wrapped: WriteTransport = {
    get: (type, key, options) => transport.get(type, key, options),
    async create<T extends KubeObject>(
      object: T,
      options: { fieldManager?: string; signal?: AbortSignal } = {},
    ): Promise<T> {
      const type = { apiVersion: object.apiVersion ?? '', kind: object.kind ?? '' };
      const key = object.metadata.namespace
        ? { namespace: object.metadata.namespace, name: object.metadata.name ?? '' }
        : { name: object.metadata.name ?? '' };
      const signal = fence({ type, key });
      check(signal);
      return transport.create(object, { ...options, signal: withSignal(options.signal, signal) });
    },
    async patch(target, patch, options = {}) {
      const signal = fence(target);
      check(signal);
      return transport.patch(target, patch, { ...options, signal: withSignal(options.signal, signal) });
    },
    async delete(type, key, options = {}) {
      const signal = fence({ type, key });
      check(signal);
      return transport.delete(type, key, { ...options, signal: withSignal(options.signal, signal) });
    },
  };
  const resolve = transport.resolve;
  if (resolve !== undefined) wrapped.resolve = (type) => resolve.call(transport, type);
  return wrapped;
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
