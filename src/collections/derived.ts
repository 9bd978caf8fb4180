/**
 * Derived collections: `derive` (1:1), `deriveMany` (1:N), `singleton` and `join`. Each keeps
 * one unit per primary key: the outputs that key produced and the fetches its transform made.
 * A unit is recomputed when its primary key changes or when a change matches one of its
 * fetches (found through the fetched collection's reverse index), and only then.
 */
import { BaseCollection, groupDependencies } from './collection.js';
import type { Dependency, DependencyConsumer } from './dependents.js';
import { CollectionError } from './errors.js';
import { describeFilter, type NormalizedFilter, normalizeFilter } from './filter.js';
import { defaultRegistry } from './registry.js';
import type {
  Collection,
  CollectionKind,
  CollectionOptions,
  DependencyDescription,
  FetchContext,
  Filter,
} from './types.js';

/** How a derived collection turns a unit key into outputs. */
export type UnitCompute<O> = (ctx: TrackingContext, unitKey: string) => readonly O[] | undefined;

/** Shared by every unit with no failed run and no contended key (nearly all of them). */
const NONE: readonly never[] = Object.freeze([]);

interface Unit {
  /** Output keys this unit holds. */
  outputs: string[];
  /** The fetches of the last run that returned. */
  deps: Dependency[];
  /**
   * The fetches of the last run that threw, watched besides `deps` until a run returns: a
   * change to what either read retries the unit. Replaced, never appended to, on each failure.
   */
  failedDeps: readonly Dependency[];
  /** Output keys this unit produced that another unit holds: it is woken when they are released. */
  waiting: readonly string[];
  error?: string;
}

/** The `ctx` of one transform run: records each fetch as a dependency of the unit. */
export class TrackingContext implements FetchContext {
  readonly deps: Dependency[] = [];
  /** Set by the kind's compute right before it calls the user's transform. */
  ran = false;
  private closed = false;

  constructor(
    private readonly consumer: DerivedCollection<unknown>,
    private readonly unit: string,
  ) {}

  fetch<U>(collection: Collection<U>, filter?: Filter<U>): U[] {
    if (this.closed) {
      throw new CollectionError('KLOOP_COLLECTION_CONTEXT', 'ctx.fetch called after the transform returned', {
        collection: this.consumer.name,
        key: this.unit,
      });
    }
    const source = collection as unknown as BaseCollection<U>;
    if (!(source instanceof BaseCollection)) {
      throw new CollectionError('KLOOP_COLLECTION_CONTEXT', 'ctx.fetch takes collections made by kloop/collections', {
        collection: this.consumer.name,
      });
    }
    if (source.registry !== this.consumer.registry) {
      throw new CollectionError('KLOOP_COLLECTION_CONTEXT', `collection ${source.name} belongs to another registry`, {
        collection: this.consumer.name,
      });
    }
    source.assertLive();
    if (source.rank >= this.consumer.rank) {
      // Creation order is the topological order the scheduler relies on for glitch-freedom.
      throw new CollectionError(
        'KLOOP_COLLECTION_ORDER',
        `${this.consumer.name} fetched ${source.name}, which was created after it; create inputs first`,
        { collection: this.consumer.name, key: this.unit },
      );
    }
    const f = normalizeFilter(filter);
    if (f.index !== undefined) source.assertIndex(f.index.name);
    this.deps.push({
      consumer: this.consumer,
      unit: this.unit,
      filter: f as NormalizedFilter<unknown>,
      slots: [],
      source,
    });
    this.consumer.noteFetched(source as unknown as BaseCollection<unknown>);
    return source.store.query(f);
  }

  fetchOne<U>(collection: Collection<U>, filter?: Filter<U>): U | undefined {
    return this.fetch(collection, filter)[0];
  }

  close(): void {
    this.closed = true;
  }
}

/** The engine behind every derived kind. */
export class DerivedCollection<O> extends BaseCollection<O> implements DependencyConsumer {
  readonly kind: CollectionKind;
  private readonly inputs: readonly BaseCollection<unknown>[];
  private readonly compute: UnitCompute<O>;
  private readonly units = new Map<string, Unit>();
  /** Output key -> the unit holding it. */
  private readonly owners = new Map<string, string>();
  /** Output key -> units that produced it too and wait for it to be released. */
  private readonly contenders = new Map<string, Set<string>>();
  private dirty = new Set<string>();
  private readonly fetched = new Set<BaseCollection<unknown>>();
  private readonly primaryConsumer = { primaryChanged: (key: string) => this.markDirty(key) };

  constructor(
    kind: CollectionKind,
    name: string,
    inputs: readonly Collection<unknown>[],
    compute: UnitCompute<O>,
    options: CollectionOptions<O>,
    fixedUnit?: string,
  ) {
    // Checked before super() registers us, so a refused collection leaves nothing behind.
    const registry = options.registry ?? defaultRegistry;
    for (const c of inputs) {
      if (!(c instanceof BaseCollection) || c.registry !== registry) {
        throw new CollectionError('KLOOP_COLLECTION_CONTEXT', `input of ${name} is not a collection of its registry`, {
          collection: name,
        });
      }
      c.assertLive();
    }
    super(name, options);
    this.kind = kind;
    this.compute = compute;
    this.inputs = inputs as readonly BaseCollection<unknown>[];
    for (const input of this.inputs) {
      input.primaryConsumers.add(this.primaryConsumer);
      for (const key of input.store.items.keys()) this.dirty.add(key);
    }
    if (fixedUnit !== undefined) this.dirty.add(fixedUnit);
    for (const c of options.dependsOn ?? []) this.fetched.add(c as unknown as BaseCollection<unknown>);
    this.registry.enqueue(this);
  }

  markDirty(unit: string): void {
    if (this.isDisposed) return;
    this.dirty.add(unit);
    this.registry.enqueue(this);
  }

  /** @internal A transform fetched `source`: its sync now gates ours. */
  noteFetched(source: BaseCollection<unknown>): void {
    this.fetched.add(source);
  }

  process(): void {
    const keys = this.dirty;
    this.dirty = new Set();
    // recompute() catches every piece of user code it runs (transform, key, equals, index
    // functions), so one bad key never stops the tick.
    for (const key of keys) this.recompute(key);
  }

  canSync(): boolean {
    if (this.dirty.size > 0) return false;
    for (const c of this.inputs) if (!c.hasSynced()) return false;
    for (const c of this.fetched) if (!c.isDisposed && !c.hasSynced()) return false;
    return true;
  }

  private recompute(unitKey: string): void {
    const unit = this.units.get(unitKey);
    const ctx = new TrackingContext(this as DerivedCollection<unknown>, unitKey);
    let outputs: readonly O[] | undefined;
    const next = new Map<string, O>();
    try {
      outputs = this.compute(ctx, unitKey);
      // Keys are user code too (a `key` option, or a missing key): a failure counts as the
      // transform's.
      for (const o of outputs ?? []) {
        const key = this.meta.keyOf(o);
        if (next.has(key)) this.duplicate(key, unitKey, 'twice by one input');
        else next.set(key, o);
      }
    } catch (cause) {
      this.countRun(ctx);
      this.fail(unitKey, unit, ctx.deps, cause);
      return;
    } finally {
      ctx.close();
    }
    this.countRun(ctx);
    // Swap dependencies: the new run's fetches replace the old run's (and a failed run's).
    if (unit !== undefined) this.unwatch(unit);
    const deps = ctx.deps;
    for (const d of deps) d.source.dependents.add(d);
    for (const key of unit?.waiting ?? NONE) if (!next.has(key)) this.stopWaiting(key, unitKey);

    let error: string | undefined;
    const held: string[] = [];
    let waiting: string[] | undefined;
    for (const key of unit?.outputs ?? []) {
      if (!next.has(key)) error = this.releaseKey(key, unitKey) ?? error;
    }
    for (const [key, o] of next) {
      const owner = this.owners.get(key);
      if (owner !== undefined && owner !== unitKey) {
        this.duplicate(key, unitKey, `also by ${owner}`);
        let contenders = this.contenders.get(key);
        if (contenders === undefined) this.contenders.set(key, (contenders = new Set()));
        contenders.add(unitKey);
        (waiting ??= []).push(key);
        continue;
      }
      this.owners.set(key, unitKey);
      error = this.apply(key, o) ?? error;
      // A write that failed before storing anything leaves nothing to hold.
      if (this.store.get(key) !== undefined) held.push(key);
      else this.owners.delete(key);
    }
    // `undefined` from compute means the primary key is gone: the unit goes with it.
    if (outputs === undefined) this.units.delete(unitKey);
    else this.units.set(unitKey, { outputs: held, deps, failedDeps: NONE, waiting: waiting ?? NONE, error });
  }

  /**
   * Writes one output (undefined: deletes it). User code runs inside (`equals`, index and
   * metadata functions): a failure is reported and returned, and the rest of the unit's
   * outputs are still applied, so its bookkeeping never goes out of step with the store.
   */
  private apply(key: string, o: O | undefined): string | undefined {
    try {
      this.write(key, o);
      return undefined;
    } catch (cause) {
      const message = `${this.name}: applying the output ${key} threw: ${String(cause)}`;
      this.registry.reportError(
        new CollectionError('KLOOP_COLLECTION_TRANSFORM', message, { cause, collection: this.name, key }),
      );
      return message;
    }
  }

  private unwatch(unit: Unit): void {
    for (const d of unit.deps) d.source.dependents.remove(d);
    for (const d of unit.failedDeps) d.source.dependents.remove(d);
  }

  private stopWaiting(key: string, unitKey: string): void {
    const contenders = this.contenders.get(key);
    if (contenders === undefined) return;
    contenders.delete(unitKey);
    if (contenders.size === 0) this.contenders.delete(key);
  }

  private countRun(ctx: TrackingContext): void {
    if (!ctx.ran) return;
    this.stats.transformCalls++;
    this.registry.metrics?.transformCall(this.name);
  }

  /** Drops output `key` held by `unitKey` and wakes units that wanted it. Returns a write error. */
  private releaseKey(key: string, unitKey: string): string | undefined {
    if (this.owners.get(key) !== unitKey) return undefined;
    this.owners.delete(key);
    const error = this.apply(key, undefined);
    const waiting = this.contenders.get(key);
    if (waiting !== undefined) {
      this.contenders.delete(key);
      for (const u of waiting) this.markDirty(u);
    }
    return error;
  }

  private duplicate(key: string, unitKey: string, how: string): void {
    this.registry.reportError(
      new CollectionError(
        'KLOOP_COLLECTION_DUPLICATE_KEY',
        `${this.name}: output ${key} produced by ${unitKey} ${how}`,
        {
          collection: this.name,
          key,
        },
      ),
    );
  }

  /**
   * A transform threw: keep the last good outputs, watch the last good run's fetches and this
   * run's (replacing an earlier failed run's, so a unit that keeps failing does not pile up
   * dependencies), report.
   */
  private fail(unitKey: string, unit: Unit | undefined, partial: Dependency[], cause: unknown): void {
    this.stats.transformErrors++;
    this.registry.metrics?.transformError(this.name);
    for (const d of unit?.failedDeps ?? NONE) d.source.dependents.remove(d);
    for (const d of partial) d.source.dependents.add(d);
    const message = cause instanceof Error ? cause.message : String(cause);
    this.units.set(unitKey, {
      outputs: unit?.outputs ?? [],
      deps: unit?.deps ?? [],
      failedDeps: partial,
      waiting: unit?.waiting ?? NONE,
      error: message,
    });
    this.registry.reportError(
      cause instanceof CollectionError && cause.code !== 'KLOOP_COLLECTION_TRANSFORM'
        ? cause
        : new CollectionError(
            'KLOOP_COLLECTION_TRANSFORM',
            `${this.name}: transform for ${unitKey || '(singleton)'} threw: ${message}`,
            {
              cause,
              collection: this.name,
              key: unitKey,
            },
          ),
    );
  }

  protected inputNames(): string[] {
    const names = this.inputs.map((c) => c.name);
    for (const c of this.fetched) if (!names.includes(c.name)) names.push(c.name);
    return names;
  }

  protected dependencyDescriptions(): DependencyDescription[] {
    const primary = this.inputs.map((c) => ({ collection: c.name, filter: 'primary', count: c.size }));
    const fetches: Array<{ collection: string; filter: string }> = [];
    for (const unit of this.units.values()) {
      for (const d of unit.deps) fetches.push({ collection: d.source.name, filter: describeFilter(d.filter) });
      for (const d of unit.failedDeps) fetches.push({ collection: d.source.name, filter: describeFilter(d.filter) });
    }
    return [...primary, ...groupDependencies(fetches)];
  }

  protected pendingCount(): number {
    return this.dirty.size;
  }

  protected errorList(): Array<{ key: string; message: string }> {
    const out: Array<{ key: string; message: string }> = [];
    for (const [key, unit] of this.units) if (unit.error !== undefined) out.push({ key, message: unit.error });
    return out;
  }

  protected release(): void {
    for (const input of this.inputs) input.primaryConsumers.delete(this.primaryConsumer);
    for (const unit of this.units.values()) this.unwatch(unit);
    this.units.clear();
    this.owners.clear();
    this.contenders.clear();
    this.dirty.clear();
    this.fetched.clear();
  }
}
