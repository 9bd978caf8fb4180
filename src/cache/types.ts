/**
 * The read side of a shared informer, as its consumers (controllers, collections, StateDB
 * reflectors) see it. The informer itself lives in this folder; this is the contract.
 */
import type { KubeObject, ObjectKey, TypeRef } from '../core/types.js';

export type InformerEventType = 'added' | 'updated' | 'deleted';

/** What a handler receives, synchronously, for each change the informer applies to its store. */
export interface InformerEvent<T extends KubeObject = KubeObject> {
  type: InformerEventType;
  /** The new object; for `deleted`, the last known state. */
  object: T;
  /** The previous object, for `updated` (and `deleted` when known). */
  oldObject?: T;
  /** True for adds that are part of the first list (client-go's `isInInitialList`). */
  initial: boolean;
}

export interface InformerListOptions {
  namespace?: string;
  /** Label selector text, full Kubernetes syntax. */
  labelSelector?: string;
  /** A named index and the value to look up. */
  index?: { name: string; value: string };
}

export interface SubscribeOptions {
  /** Replay the objects already in the store as `added` events (initial: true). Default true. */
  replay?: boolean;
}

/** The read-only face of one shared informer. Objects returned are immutable: copy to change. */
export interface InformerReader<T extends KubeObject = KubeObject> {
  readonly type: TypeRef;
  get(key: ObjectKey): T | undefined;
  list(options?: InformerListOptions): T[];
  /** Returns a function that unsubscribes. A throwing handler is reported, never fatal. */
  subscribe(handler: (event: InformerEvent<T>) => void, options?: SubscribeOptions): () => void;
  /** Resolves once the first list has been applied to the store. */
  readonly synced: Promise<void>;
  hasSynced(): boolean;
  readonly lastSyncResourceVersion: string | undefined;
}
