/**
 * Write fencing: the one way kloop keeps a process from writing when it may not (it lost its
 * leader Lease, or the shard of the reconcile making the write). Every write the cached client
 * sends asks its {@link WriteFence} first; nothing else sends on a controller's behalf. The fence
 * answers with an AbortSignal rather than a boolean so that one answer covers both ends of a
 * write: already aborted, the write is refused before anything is sent; aborted later, the
 * client's retries (a 429's `Retry-After` wait) and the request in the air stop too. The
 * compiler keeps it so: a write's options need a {@link FencedRequest}, which only
 * {@link fenceWrite} makes.
 */
import { KloopError } from './errors.js';
import type { ObjectKey, TypeRef } from './types.js';

/** A write refused because this process may not write now (it lost its lease or its shard). */
export class WriteFencedError extends KloopError {
  constructor(options?: { cause?: unknown }) {
    super('KLOOP_WRITE_FENCED', 'write refused: this process does not hold the lease that allows writing', options);
  }
}

/** What a fence is asked about: the object a write targets and the reconcile making it. */
export interface FencedWrite {
  type: TypeRef;
  key: ObjectKey;
  /** The key of the reconcile that makes the write; absent for writes made outside a reconcile. */
  reconcileKey?: ObjectKey;
}

/**
 * Decides whether a write may leave the process. Returns the signal the request carries:
 * already aborted means refused (the write fails with the signal's reason, a
 * {@link WriteFencedError} (the signal's reason when it is one), and sends nothing); `undefined`
 * means not fenced.
 *
 * @example
 * ```ts
 * import type { LeaderElector } from 'kloop';
 * declare const elector: LeaderElector;
 *
 * const fence: WriteFence = () => elector.fenceSignal();
 * ```
 */
export type WriteFence = (write: FencedWrite) => AbortSignal | undefined;

/**
 * Marks what only {@link fenceWrite} makes. Declared, never defined: it exists for the compiler
 * only, so nothing at run time carries it and nothing can read it.
 */
export declare const FENCE_ASKED: unique symbol;

/**
 * The options a write carries once its fence has been asked: the signal to send it with (the
 * fence's, merged with the caller's own), `undefined` when neither fences it. Only
 * {@link fenceWrite} makes one, so a transport whose write verbs require it (the cached client's
 * `WriteTransport`) cannot be called without asking the fence: the compiler refuses a signal, or
 * none, given any other way.
 */
export interface FencedRequest {
  readonly signal: AbortSignal | undefined;
  readonly [FENCE_ASKED]: true;
}

/**
 * Asks `fence` about a write: the options to send it with (spread them into the request's), or
 * throws the refusal when the fence is already closed.
 *
 * @throws WriteFencedError when the write may not be sent: the signal's reason if it is a
 * `KloopError`, else a new one caused by it.
 * @example
 * ```ts
 * import { ConfigMap, KubeClient, type ObjectKey } from 'kloop';
 * declare const fence: WriteFence;
 * declare const key: ObjectKey;
 *
 * const kube = KubeClient.fromKubeconfig();
 * await kube.delete(ConfigMap, key, { ...fenceWrite(fence, { type: ConfigMap, key }) });
 * ```
 */
export function fenceWrite(fence: WriteFence | undefined, write: FencedWrite, own?: AbortSignal): FencedRequest {
  const signal = fence?.(write);
  if (signal?.aborted) {
    throw signal.reason instanceof KloopError ? signal.reason : new WriteFencedError({ cause: signal.reason });
  }
  const merged = signal === undefined ? own : own === undefined ? signal : AbortSignal.any([own, signal]);
  // The one place the mark is given: a plain object at run time.
  return { signal: merged } as FencedRequest;
}
