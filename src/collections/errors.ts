/**
 * The errors `kloop/collections` raises. All extend `KloopError` with a stable `code`.
 */
import { KloopError } from '../core/index.js';

/** The stable codes of {@link CollectionError}. */
export type CollectionErrorCode =
  /** A transform threw; `cause` holds what it threw. Its last good output is kept. */
  | 'KLOOP_COLLECTION_TRANSFORM'
  /** A transform fetched a collection created after its own (or itself): no cycles allowed. */
  | 'KLOOP_COLLECTION_ORDER'
  /** A collection was used after `dispose()`. */
  | 'KLOOP_COLLECTION_DISPOSED'
  /** Two inputs produced outputs with one key; the first keeps it. */
  | 'KLOOP_COLLECTION_DUPLICATE_KEY'
  /** An item has no key: no `metadata.name`, no `key` field, and no `key` option. */
  | 'KLOOP_COLLECTION_NO_KEY'
  /** A filter names an index the collection does not have, or an index name is taken. */
  | 'KLOOP_COLLECTION_INDEX'
  /** A fetch mixes collections of two registries, or a context is used after its transform returned. */
  | 'KLOOP_COLLECTION_CONTEXT'
  /** A subscriber threw while handling a batch. */
  | 'KLOOP_COLLECTION_SUBSCRIBER';

/**
 * An error of the collections layer. `collection` names the collection concerned and `key`
 * the item or output key when there is one.
 *
 * @remarks None of these stop a collection. Transform errors (`KLOOP_COLLECTION_TRANSFORM`,
 * and any other code raised inside a transform) keep the previous output and are retried on
 * the next change of the output's inputs; subscriber errors are reported and delivery goes on.
 *
 * @example
 * ```ts
 * import { pino } from 'pino';
 * import { CollectionRegistry } from 'kloop/collections';
 *
 * const log = pino();
 * const registry = new CollectionRegistry({
 *   onError: (err) => log.warn({ code: err.code, key: err.key }, err.message),
 * });
 * ```
 */
export class CollectionError extends KloopError {
  declare readonly code: CollectionErrorCode;
  /** The collection concerned. */
  readonly collection: string | undefined;
  /** The item or output key concerned, when there is one. */
  readonly key: string | undefined;

  constructor(
    code: CollectionErrorCode,
    message: string,
    options?: { cause?: unknown; collection?: string; key?: string },
  ) {
    super(code, message, options);
    this.collection = options?.collection;
    this.key = options?.key;
  }
}
