/**
 * Source collections: one fed by a shared informer, one set by hand. Changes arrive at any
 * time but are only applied at the next tick, so between ticks every collection of a
 * registry shows one consistent state.
 */
import type { InformerReader } from '../cache/index.js';
import type { KubeObject, ObjectKey } from '../core/index.js';
import { BaseCollection } from './collection.js';
import { CollectionError } from './errors.js';
import { toKeyString } from './meta.js';
import type {
  Collection,
  CollectionKind,
  CollectionOptions,
  DependencyDescription,
  StaticCollection,
} from './types.js';

/** Pending changes of a source: the latest state per key, undefined for deleted. */
abstract class SourceCollection<T> extends BaseCollection<T> {
  protected pending = new Map<string, T | undefined>();

  protected stage(key: string, item: T | undefined): void {
    this.pending.set(key, item);
    this.registry.enqueue(this);
  }

  process(): void {
    const changes = this.pending;
    this.pending = new Map();
    for (const [key, item] of changes) {
      try {
        this.write(key, item);
      } catch (cause) {
        // User code runs here (a custom `equals`, an index function): report, go on.
        this.registry.reportError(
          new CollectionError('KLOOP_COLLECTION_TRANSFORM', `${this.name}: applying ${key} threw: ${String(cause)}`, {
            cause,
            collection: this.name,
            key,
          }),
        );
      }
    }
  }

  protected pendingCount(): number {
    return this.pending.size;
  }

  protected errorList(): Array<{ key: string; message: string }> {
    return [];
  }

  protected dependencyDescriptions(): DependencyDescription[] {
    return [];
  }
}

/**
 * Items from one informer are equal when they are the same object or carry the same
 * resourceVersion: the API server bumps it on every change, so comparing whole objects would
 * only cost time (a resync redelivers the same version and emits nothing).
 */
function sameVersion<T extends KubeObject>(a: T, b: T): boolean {
  if (a === b) return true;
  const rv = a.metadata?.resourceVersion;
  return rv !== undefined && rv !== '' && rv === b.metadata?.resourceVersion;
}

class InformerCollection<T extends KubeObject> extends SourceCollection<T> {
  readonly kind: CollectionKind = 'informer';
  private readonly unsubscribe: () => void;

  constructor(
    private readonly informer: InformerReader<T>,
    name: string,
    options: CollectionOptions<T>,
  ) {
    super(name, options, sameVersion);
    this.unsubscribe = informer.subscribe(
      (event) => {
        if (this.isDisposed) return;
        let key: string;
        try {
          key = this.meta.keyOf(event.object);
        } catch (cause) {
          // A `key` option that throws must not break the informer's delivery to its other
          // handlers: the object is left out and reported.
          this.registry.reportError(
            cause instanceof CollectionError
              ? cause
              : new CollectionError(
                  'KLOOP_COLLECTION_NO_KEY',
                  `${this.name}: key of an informer object threw: ${String(cause)}`,
                  {
                    cause,
                    collection: this.name,
                  },
                ),
          );
          return;
        }
        this.stage(key, event.type === 'deleted' ? undefined : event.object);
      },
      { replay: true },
    );
    // The promise only asks for a tick; hasSynced() is the truth, read at the tick.
    if (!informer.hasSynced()) {
      informer.synced.then(
        () => this.isDisposed || this.registry.enqueue(this),
        () => {},
      );
    }
  }

  canSync(): boolean {
    return this.informer.hasSynced() && this.pending.size === 0;
  }

  protected inputNames(): string[] {
    return [`informer:${this.informer.type.apiVersion}/${this.informer.type.kind}`];
  }

  protected release(): void {
    this.unsubscribe();
    this.pending.clear();
  }
}

/**
 * A collection fed by a shared informer (`mgr.informer(Pod)` or `factory.informer(Pod)`),
 * keyed `namespace/name`. It subscribes with replay, so it starts with what the informer
 * holds, and is synced once the informer is and its items are applied.
 *
 * @remarks The informer owns reconnection and relists; this collection only mirrors its
 * store. A relist that changes nothing emits nothing (items with the same resourceVersion are
 * equal).
 *
 * @example
 * ```ts
 * import { Manager, Pod } from 'kloop';
 *
 * const mgr = new Manager();
 * const pods = fromInformer(mgr.informer(Pod));
 * await pods.synced;
 * pods.list({ namespace: 'default', labelSelector: 'app=web' });
 * ```
 */
export function fromInformer<T extends KubeObject>(
  informer: InformerReader<T>,
  options: CollectionOptions<T> & { name?: string } = {},
): Collection<T> {
  const name = options.name ?? `${informer.type.apiVersion}/${informer.type.kind}`;
  return new InformerCollection(informer, name, options);
}

class StaticCollectionImpl<T> extends SourceCollection<T> implements StaticCollection<T> {
  readonly kind: CollectionKind = 'static';

  constructor(name: string, items: readonly T[], options: CollectionOptions<T>) {
    super(name, options);
    for (const item of items) this.pending.set(this.meta.keyOf(item), item);
    this.registry.enqueue(this);
  }

  set(item: T): void {
    this.assertLive();
    this.stage(this.meta.keyOf(item), item);
  }

  delete(key: string | ObjectKey): void {
    this.assertLive();
    this.stage(toKeyString(key), undefined);
  }

  replace(items: readonly T[]): void {
    this.assertLive();
    const next = new Map<string, T | undefined>();
    for (const key of this.store.items.keys()) next.set(key, undefined);
    for (const item of items) next.set(this.meta.keyOf(item), item);
    this.pending = next;
    this.registry.enqueue(this);
  }

  canSync(): boolean {
    return this.pending.size === 0;
  }

  protected inputNames(): string[] {
    return [];
  }

  protected release(): void {
    this.pending.clear();
  }
}

/**
 * A collection set by hand: configuration, test fixtures, or state from outside Kubernetes.
 * Changes apply at the next tick, all at once.
 *
 * @example
 * ```ts
 * interface Flag { key: string; on: boolean }
 * const flags = staticCollection<Flag>('flags', [{ key: 'beta', on: true }]);
 * flags.set({ key: 'beta', on: false });
 * ```
 */
export function staticCollection<T>(
  name: string,
  items: readonly T[] = [],
  options: CollectionOptions<T> = {},
): StaticCollection<T> {
  return new StaticCollectionImpl(name, items, options);
}
