/**
 * Test doubles for the controller tests: an in-memory informer and a provider of them, and a
 * recording write transport.
 */
import type {
  IndexFunc,
  InformerEvent,
  InformerListOptions,
  InformerOptions,
  InformerReader,
} from '../../src/cache/types.js';
import type { InformerProvider } from '../../src/controller/types.js';
import { deepFreeze } from '../../src/core/equal.js';
import type { KubeObject, ObjectKey, TypeRef } from '../../src/core/types.js';

const id = (k: ObjectKey) => (k.namespace ? `${k.namespace}/${k.name}` : k.name);

export class FakeInformer<T extends KubeObject = KubeObject> implements InformerReader<T> {
  readonly type: TypeRef;
  readonly #store = new Map<string, T>();
  readonly #handlers = new Set<(e: InformerEvent<T>) => void>();
  #synced = false;
  #resolve!: () => void;
  readonly synced: Promise<void>;
  lastSyncResourceVersion: string | undefined;
  #rv = 1;
  readonly #indexes = new Map<string, IndexFunc>();

  constructor(type: TypeRef, synced = true) {
    this.type = type;
    this.synced = new Promise((r) => {
      this.#resolve = r;
    });
    if (synced) this.markSynced();
  }

  markSynced(): void {
    this.#synced = true;
    this.#resolve();
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  get(key: ObjectKey): T | undefined {
    return this.#store.get(id(key));
  }

  list(options: InformerListOptions = {}): T[] {
    const index = options.index;
    return [...this.#store.values()].filter(
      (o) =>
        (!options.namespace || o.metadata.namespace === options.namespace) &&
        (index === undefined || (this.#indexes.get(index.name)?.(o) ?? []).includes(index.value)),
    );
  }

  /** Indexes as shared informers keep them, evaluated on each list. */
  addIndex(name: string, fn: IndexFunc): void {
    this.#indexes.set(name, fn);
  }

  subscribe(handler: (e: InformerEvent<T>) => void, options: { replay?: boolean } = {}): () => void {
    this.#handlers.add(handler);
    if (options.replay !== false)
      for (const o of this.#store.values()) handler({ type: 'added', object: o, initial: true });
    return () => this.#handlers.delete(handler);
  }

  get subscribers(): number {
    return this.#handlers.size;
  }

  /** Adds or updates an object, bumping its resourceVersion, and emits the event. */
  upsert(object: T, initial = false): T {
    const key = id({ namespace: object.metadata.namespace, name: object.metadata.name! });
    const old = this.#store.get(key);
    const stored = deepFreeze({
      ...object,
      metadata: { ...object.metadata, resourceVersion: object.metadata.resourceVersion ?? String(++this.#rv) },
    }) as T;
    this.#store.set(key, stored);
    this.emit(
      old
        ? { type: 'updated', object: stored, oldObject: old, initial: false }
        : { type: 'added', object: stored, initial },
    );
    return stored;
  }

  remove(key: ObjectKey): void {
    const old = this.#store.get(id(key));
    if (!old) return;
    this.#store.delete(id(key));
    this.emit({ type: 'deleted', object: old, oldObject: old, initial: false });
  }

  emit(event: InformerEvent<T>): void {
    for (const h of this.#handlers) h(event);
  }
}

export class FakeInformers implements InformerProvider {
  readonly informers = new Map<string, FakeInformer>();

  informer<T extends KubeObject = KubeObject>(type: TypeRef, _options?: InformerOptions<T>): InformerReader<T> {
    return this.of(type) as unknown as InformerReader<T>;
  }

  of(type: TypeRef): FakeInformer {
    const k = `${type.apiVersion}/${type.kind}`;
    let inf = this.informers.get(k);
    if (!inf) {
      inf = new FakeInformer(type);
      this.informers.set(k, inf);
    }
    return inf;
  }
}
