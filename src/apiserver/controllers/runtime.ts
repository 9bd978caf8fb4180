/**
 * What every built-in controller runs on: reads straight from the stores, a queue of keys per
 * controller fed by committed events, delayed syncs on the cluster's clock, and writes through the
 * cluster's write path (admission, managedFields under the controller's real manager name, watch
 * events), each counted apart from the requests clients send.
 *
 * The queue drains in one macrotask: a sync's writes enqueue further keys synchronously (store
 * listeners), which the same drain picks up, so a chain such as Deployment -> ReplicaSet -> Pods
 * settles in one go and in a deterministic order. A write that changes nothing is never sent, so
 * a sync that finds the world as it wants it writes nothing and the drain ends.
 */
import {
  type Clock,
  deepEqual,
  isPlainObject,
  type KubeObject,
  keyString,
  Pod,
  type TypeRef,
} from '../../core/index.js';
import { bindPod } from '../registry/binding.js';
import { recordManagedFields, setManagedFields } from '../registry/managed-fields.js';
import type { ServedType } from '../served/served-types.js';
import { isStored, type StoredEvent, type StoredObject } from '../storage/store.js';
import type { ControllerName, ControllerWriteCount } from '../types.js';
import type { BuiltinController, ControllerCluster, SimulationSettings } from './types.js';

/** Syncs one drain runs before it yields to I/O (a controller that never settles cannot starve requests). */
const SYNCS_PER_TURN = 5000;
/** Retry delay after a sync or write failed (a racing delete, a terminating namespace). */
const RETRY_MS = 1000;

/** A clock that can be stepped (core's `ManualClock`). */
interface SteppableClock extends Clock {
  advance(ms: number): void;
  nextTimerAt(): number | undefined;
}

function isSteppable(clock: Clock): clock is SteppableClock {
  const c = clock as Partial<SteppableClock>;
  return typeof c.advance === 'function' && typeof c.nextTimerAt === 'function';
}

/** RFC 3339 with second precision, as `metav1.Time` serializes. */
export function timestampOf(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** The built-in controllers' shared machinery. */
export class ControllerRuntime {
  private readonly controllers = new Map<ControllerName, BuiltinController>();
  private readonly queue = new Map<ControllerName, Set<string>>();
  private readonly delayed = new Map<string, { at: number; cancel: () => void }>();
  private readonly counts = new Map<string, ControllerWriteCount>();
  private readonly unlisten: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private readonly servedCache = new Map<string, ServedType>();
  private drainScheduled = false;
  private stopped = false;
  /** The sync in progress: a write it makes that is refused retries this key later. */
  private syncing: { name: ControllerName; key: string } | undefined;

  constructor(
    readonly cluster: ControllerCluster,
    readonly settings: SimulationSettings,
  ) {}

  /** Wall-clock milliseconds on the cluster's clock. */
  now(): number {
    return this.cluster.now();
  }

  /** Now as a `metav1.Time`. */
  timestamp(): string {
    return timestampOf(this.now());
  }

  /** The served type of a built-in kind. */
  served(ref: TypeRef): ServedType {
    const id = `${ref.apiVersion}/${ref.kind}`;
    let served = this.servedCache.get(id);
    if (!served) {
      served = this.cluster.types.byTypeRef(ref.apiVersion, ref.kind);
      if (!served) throw new Error(`${ref.kind} (${ref.apiVersion}) is not served`);
      this.servedCache.set(id, served);
    }
    return served;
  }

  /** The stored object, if any. */
  get(ref: TypeRef, namespace: string | undefined, name: string): StoredObject | undefined {
    return this.cluster.store(this.served(ref)).get(keyString({ namespace, name }));
  }

  /** The stored object at a store key (`namespace/name` or `name`). */
  getByKey(ref: TypeRef, key: string): StoredObject | undefined {
    return this.cluster.store(this.served(ref)).get(key);
  }

  /** Every stored object of a kind (in one namespace, or all). */
  list(ref: TypeRef, namespace?: string): StoredObject[] {
    return [...this.cluster.store(this.served(ref)).all(namespace)];
  }

  /** Calls `fn` for each committed change of a kind (synchronously: it should only enqueue). */
  watch(ref: TypeRef, fn: (event: StoredEvent) => void): void {
    this.unlisten.push(this.cluster.store(this.served(ref)).listen(fn));
  }

  /** Adds a controller; its sync runs for the keys enqueued under its name. */
  register(controller: BuiltinController): void {
    this.controllers.set(controller.name, controller);
  }

  /** Queues a sync of `key` by `controller` (deduplicated until it runs). */
  enqueue(controller: ControllerName, key: string): void {
    if (this.stopped) return;
    let keys = this.queue.get(controller);
    if (!keys) {
      keys = new Set();
      this.queue.set(controller, keys);
    }
    keys.add(key);
    this.scheduleDrain();
  }

  /** Queues a sync of `key` after `ms` on the cluster's clock; an earlier request wins. */
  after(controller: ControllerName, key: string, ms: number): void {
    if (this.stopped) return;
    const id = `${controller}\u0000${key}`;
    const at = this.cluster.clock.now() + Math.max(0, ms);
    const pending = this.delayed.get(id);
    if (pending && pending.at <= at) return;
    pending?.cancel();
    const cancel = this.cluster.clock.setTimer(
      () => {
        this.delayed.delete(id);
        this.enqueue(controller, key);
      },
      Math.max(0, ms),
    );
    this.delayed.set(id, { at, cancel });
  }

  /**
   * Creates `obj` as `manager`; answers the stored object, or undefined when the write was
   * refused (the controller retries later).
   */
  create(controller: ControllerName, manager: string, ref: TypeRef, obj: KubeObject): StoredObject | undefined {
    const served = this.served(ref);
    try {
      const result = this.cluster.create(served, obj, { manager });
      this.count(controller, manager, 'create', served, undefined);
      return isStored(result.body) ? result.body : undefined;
    } catch {
      this.retryLater();
      return undefined;
    }
  }

  /**
   * Writes `next` in place of `current` as `manager` (the status subresource when `subresource`
   * is `status`), unless nothing it owns would change. Answers the stored result (or `current`).
   */
  update(
    controller: ControllerName,
    manager: string,
    ref: TypeRef,
    current: StoredObject,
    next: KubeObject,
    subresource?: 'status',
  ): StoredObject | undefined {
    if (unchanged(current.object, next, subresource)) return current;
    const served = this.served(ref);
    next.metadata.resourceVersion = current.object.metadata.resourceVersion;
    try {
      const result = this.cluster.update(served, current, next, subresource, { manager });
      if (!isStored(result.body)) return current;
      if (result.body.rv !== current.rv) this.count(controller, manager, 'update', served, subresource);
      return result.body;
    } catch {
      this.retryLater();
      return undefined;
    }
  }

  /**
   * A status write that also sets annotations, as a Deployment's `/status` may (its strategy keeps
   * the new annotations): the Deployment controller records the revision so, without the
   * generation bump a main-resource annotation change would cause.
   */
  updateStatusAndAnnotations(
    controller: ControllerName,
    manager: string,
    ref: TypeRef,
    current: StoredObject,
    status: Record<string, unknown>,
    annotations: Record<string, string>,
  ): StoredObject | undefined {
    const before = current.object.metadata.annotations ?? {};
    if (deepEqual(current.object.status, status) && deepEqual(before, annotations)) return current;
    const served = this.served(ref);
    const next = copyOf(current);
    next.status = status;
    if (Object.keys(annotations).length > 0) next.metadata.annotations = annotations;
    else delete next.metadata.annotations;
    setManagedFields(next, recordManagedFields(served, current.object, next, manager, 'status'));
    try {
      const result = this.cluster.commitUpdate(served, current, next);
      if (!isStored(result.body)) return current;
      if (result.body.rv !== current.rv) this.count(controller, manager, 'update', served, 'status');
      return result.body;
    } catch {
      this.retryLater();
      return undefined;
    }
  }

  /**
   * Binds a Pod to a Node as `POST pods/NAME/binding` does (no managedFields entry, one watch
   * event); answers the stored Pod, or undefined when refused (bound meanwhile, being deleted).
   */
  bind(controller: ControllerName, manager: string, current: StoredObject, node: string): StoredObject | undefined {
    const served = this.served(Pod);
    try {
      const result = bindPod(this.cluster, served, current, { node });
      this.count(controller, manager, 'create', served, 'binding');
      return isStored(result.body) ? result.body : undefined;
    } catch {
      this.retryLater();
      return undefined;
    }
  }

  /** Deletes as a client would (grace for Pods, finalizers honoured); false when refused. */
  delete(
    controller: ControllerName,
    manager: string,
    ref: TypeRef,
    current: StoredObject,
    gracePeriodSeconds?: number,
  ): boolean {
    const served = this.served(ref);
    try {
      this.cluster.delete(
        served,
        current,
        { uid: String(current.object.metadata.uid) },
        gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {},
      );
      this.count(controller, manager, 'delete', served, undefined);
      return true;
    } catch {
      this.retryLater();
      return false;
    }
  }

  /** Resolves once the queue is empty and nothing the last writes deferred is left to run. */
  async settle(): Promise<void> {
    // Two quiet macrotasks in a row: the cluster's own deferred reactions (garbage collection,
    // namespace cleanup) run in a macrotask too and may enqueue more.
    let quiet = 0;
    while (quiet < 2) {
      if (this.stopped) return;
      if (this.queue.size > 0) {
        quiet = 0;
        await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      } else {
        quiet++;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  /** Steps a manual clock by `ms`, settling after each timer that fires. */
  async advance(ms: number): Promise<void> {
    const clock = this.cluster.clock;
    if (!isSteppable(clock)) {
      throw new Error('controllers.advance() needs a ManualClock: pass startApiServer({ clock: new ManualClock() })');
    }
    const target = clock.now() + Math.max(0, ms);
    await this.settle();
    for (;;) {
      const next = clock.nextTimerAt();
      if (next === undefined || next > target) break;
      clock.advance(Math.max(0, next - clock.now()));
      await this.settle();
    }
    clock.advance(Math.max(0, target - clock.now()));
    await this.settle();
  }

  /** The write counts (copies). */
  writes(): ControllerWriteCount[] {
    return [...this.counts.values()].map((c) => ({ ...c }));
  }

  /** Forgets the write counts (with the request counters). */
  resetWrites(): void {
    this.counts.clear();
  }

  /** Stops every timer and listener; queued work is dropped. */
  stop(): void {
    this.stopped = true;
    for (const u of this.unlisten) u();
    for (const d of this.delayed.values()) d.cancel();
    this.delayed.clear();
    this.queue.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private count(
    controller: ControllerName,
    manager: string,
    verb: ControllerWriteCount['verb'],
    served: ServedType,
    subresource: string | undefined,
  ): void {
    const { group, plural } = served.type;
    const id = `${controller} ${manager} ${verb} ${group}/${plural}/${subresource ?? ''}`;
    let c = this.counts.get(id);
    if (!c) {
      c = { controller, manager, verb, resource: plural, group, count: 0 };
      if (subresource !== undefined) c.subresource = subresource;
      this.counts.set(id, c);
    }
    c.count++;
  }

  /**
   * A write of the sync in progress was refused (a racing delete, a terminating namespace, a
   * validation error): the key syncs again after {@link RETRY_MS}, as a workqueue requeue would.
   */
  private retryLater(): void {
    if (this.syncing) this.after(this.syncing.name, this.syncing.key, RETRY_MS);
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.drainScheduled = false;
    let budget = SYNCS_PER_TURN;
    while (this.queue.size > 0 && budget > 0 && !this.stopped) {
      const [name, keys] = this.queue.entries().next().value as [ControllerName, Set<string>];
      const key = keys.values().next().value as string;
      keys.delete(key);
      if (keys.size === 0) this.queue.delete(name);
      budget--;
      this.syncing = { name, key };
      try {
        this.controllers.get(name)?.sync(key);
      } catch {
        // A sync that throws (an object in a shape it cannot read) is retried later, never fatal.
        this.after(name, key, RETRY_MS);
      } finally {
        this.syncing = undefined;
      }
    }
    if (this.queue.size > 0) this.scheduleDrain();
    else for (const w of this.idleWaiters.splice(0)) w();
  }
}

/** True when writing `next` over `current` would change nothing the write owns. */
function unchanged(current: KubeObject, next: KubeObject, subresource: 'status' | undefined): boolean {
  if (subresource === 'status') return deepEqual(current.status, next.status);
  const strip = (o: KubeObject) => {
    const { status: _status, metadata, ...rest } = o;
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = metadata;
    return { ...rest, metadata: meta };
  };
  return deepEqual(strip(current), strip(next));
}

/** A deep copy of a stored object, to change and write back. */
export function copyOf(stored: StoredObject): KubeObject {
  return JSON.parse(stored.json) as KubeObject;
}

/** `obj[field]` as a plain object (a copy-free view; `{}` when absent). */
export function fieldOf(obj: KubeObject | undefined, field: string): Record<string, unknown> {
  const v = obj?.[field];
  return isPlainObject(v) ? v : {};
}
