// A fake InformerReader for collection tests: a Map plus synchronous handlers, as the real
// shared informer delivers them. Counts subscribers so disposal can be checked.
import type { InformerEvent, InformerReader, SubscribeOptions } from '../../src/cache/types.js';
import type { KubeObject, ObjectKey, TypeRef } from '../../src/core/types.js';

function keyOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : `${o.metadata.name}`;
}

export class FakeInformer<T extends KubeObject> implements InformerReader<T> {
  readonly items = new Map<string, T>();
  private readonly handlers = new Set<(event: InformerEvent<T>) => void>();
  private synced_ = false;
  private resolve!: () => void;
  readonly synced: Promise<void> = new Promise((r) => {
    this.resolve = r;
  });
  lastSyncResourceVersion: string | undefined;
  private rv = 0;

  constructor(readonly type: TypeRef = { apiVersion: 'v1', kind: 'Pod' }) {}

  get subscriberCount(): number {
    return this.handlers.size;
  }

  get(key: ObjectKey): T | undefined {
    return this.items.get(key.namespace ? `${key.namespace}/${key.name}` : key.name);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  subscribe(handler: (event: InformerEvent<T>) => void, options?: SubscribeOptions): () => void {
    this.handlers.add(handler);
    if (options?.replay ?? true)
      for (const object of this.items.values()) handler({ type: 'added', object, initial: true });
    return () => {
      this.handlers.delete(handler);
    };
  }

  hasSynced(): boolean {
    return this.synced_;
  }

  markSynced(): void {
    this.synced_ = true;
    this.resolve();
  }

  /** Adds or updates, stamping a new resourceVersion as the API server would. */
  upsert(object: T): T {
    const stamped = { ...object, metadata: { ...object.metadata, resourceVersion: String(++this.rv) } };
    const key = keyOf(stamped);
    const oldObject = this.items.get(key);
    this.items.set(key, stamped);
    this.emit(
      oldObject
        ? { type: 'updated', object: stamped, oldObject, initial: false }
        : { type: 'added', object: stamped, initial: !this.synced_ },
    );
    return stamped;
  }

  remove(key: string): void {
    const object = this.items.get(key);
    if (!object) return;
    this.items.delete(key);
    this.emit({ type: 'deleted', object, oldObject: object, initial: false });
  }

  private emit(event: InformerEvent<T>): void {
    for (const h of [...this.handlers]) h(event);
  }
}
