/**
 * Write fencing: the one way kloop keeps a process from writing when it may not (it lost its
 * leader Lease, or the shard of the reconcile making the write). Every write the cached client
 * sends asks its {@link WriteFence} first; nothing else sends on a controller's behalf. The fence
 * answers with an AbortSignal rather than a boolean so that one answer covers both ends of a
 * write: already aborted, the write is refused before anything is sent; aborted later, the
 * client's retries (a 429's `Retry-After` wait) and the request in the air stop too.
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
 * Asks `fence` about a write: the signal to send it with (merged with the caller's own), or
 * throws the refusal when the fence is already closed.
 *
 * @throws WriteFencedError when the write may not be sent: the signal's reason if it is a
 * `KloopError`, else a new one caused by it.
 */
export function fenceWrite(
  fence: WriteFence | undefined,
  write: FencedWrite,
  own?: AbortSignal,
): AbortSignal | undefined {
  const signal = fence?.(write);
  if (signal === undefined) return own;
  if (signal.aborted) {
    throw signal.reason instanceof KloopError ? signal.reason : new WriteFencedError({ cause: signal.reason });
  }
  return own === undefined ? signal : AbortSignal.any([own, signal]);
}
