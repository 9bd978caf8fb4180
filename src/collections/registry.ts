/**
 * The one scheduler every collection of a registry shares, and the registry-wide debug dump.
 *
 * A change anywhere marks keys dirty and asks for a tick. A tick repeatedly takes the pending
 * collection of the lowest rank (creation order, which is a topological order because a
 * collection can only read collections created before it) and recomputes each of its dirty
 * keys once. So when a transform runs, every collection it can read has already absorbed the
 * tick's changes: no transform sees one input updated and another not (krt #56131), and a
 * burst of changes to one key folds into a single recompute (krt #60366). Subscribers get
 * their batches only after the whole graph is quiet.
 */
import { CollectionError } from './errors.js';
import type { CollectionDescription, CollectionKind, CollectionMetricsSink, RegistryDescription } from './types.js';

/** What the registry needs of a collection. */
export interface RegistryNode {
  readonly rank: number;
  readonly name: string;
  readonly kind: CollectionKind;
  readonly size: number;
  /** Applies pending changes / recomputes dirty keys. */
  process(): void;
  /** True when inputs are synced and nothing is pending. */
  canSync(): boolean;
  hasSynced(): boolean;
  markSynced(): void;
  /** Hands the tick's events to subscribers. */
  deliver(): void;
  describe(): CollectionDescription;
  dispose(): void;
}

/** When ticks run. */
export type TickScheduling = 'immediate' | 'microtask' | 'manual';

/** Options of a {@link CollectionRegistry}. */
export interface CollectionRegistryOptions {
  /**
   * `immediate` (default) runs a tick with `setImmediate`, folding everything that arrived in
   * one event-loop turn (several watch chunks) into one recompute; `microtask` runs it as soon
   * as the current synchronous burst ends; `manual` only on {@link CollectionRegistry.flush}.
   */
  scheduling?: TickScheduling;
  /** Called with every transform and subscriber error. Must not throw. */
  onError?: (error: CollectionError) => void;
  /** Counts transform calls, errors, events and tick durations (see `registerCollectionMetrics`). */
  metrics?: CollectionMetricsSink;
  /**
   * Deep-freeze every item a collection stores, so a transform that mutates its input or a
   * fetched item throws instead of corrupting shared state. Default: `KLOOP_VALIDATE=1`.
   */
  validate?: boolean;
}

/** Collection processings allowed in one tick before the rest waits for the next one. */
const MAX_STEPS_PER_TICK = 100_000;
/** Errors kept for the dump. */
const RECENT_ERRORS = 20;

/**
 * Schedules ticks for a set of collections and describes them. Most programs use the
 * process-wide {@link defaultRegistry}; tests make their own with `scheduling: 'manual'`.
 *
 * @example
 * ```ts
 * import type { KubeObject } from 'kloop';
 * import { staticCollection } from 'kloop/collections';
 *
 * const registry = new CollectionRegistry({ scheduling: 'manual' });
 * const cms = staticCollection<KubeObject>('cms', [], { registry });
 * const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default', name: 'a' } };
 * cms.set(cm);
 * registry.flush(); // cms.get('default/a') is now cm
 * ```
 */
export class CollectionRegistry {
  private readonly nodes = new Map<number, RegistryNode>();
  private readonly pending = new Set<RegistryNode>();
  private readonly toDeliver = new Set<RegistryNode>();
  private nextRank = 1;
  private running = false;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private microtaskQueued = false;
  private ticks = 0;
  private readonly scheduling: TickScheduling;
  private readonly onError: ((error: CollectionError) => void) | undefined;
  private readonly recentErrors: Array<{ code: string; collection?: string; key?: string; message: string }> = [];
  private idleWaiters: Array<() => void> = [];
  /** Whether stored items are deep-frozen (see {@link CollectionRegistryOptions.validate}). */
  readonly validate: boolean;
  /** Where counts go; settable after construction by `registerCollectionMetrics`. */
  metrics: CollectionMetricsSink | undefined;

  constructor(options: CollectionRegistryOptions = {}) {
    this.scheduling = options.scheduling ?? 'immediate';
    this.onError = options.onError;
    this.metrics = options.metrics;
    this.validate = options.validate ?? process.env.KLOOP_VALIDATE === '1';
  }

  /** @internal Adds a collection; returns its rank. */
  register(node: RegistryNode): number {
    const rank = this.nextRank++;
    this.nodes.set(rank, node);
    return rank;
  }

  /** @internal Forgets a disposed collection. */
  unregister(node: RegistryNode): void {
    this.nodes.delete(node.rank);
    this.pending.delete(node);
    this.toDeliver.delete(node);
  }

  /** @internal `node` has work: make sure a tick comes. */
  enqueue(node: RegistryNode): void {
    this.pending.add(node);
    this.schedule();
  }

  /** @internal `node` has events for its subscribers. */
  enqueueDelivery(node: RegistryNode): void {
    this.toDeliver.add(node);
  }

  /** @internal Reports an error: metric, the recent-errors list, `onError`. */
  reportError(error: CollectionError): void {
    this.recentErrors.push({ code: error.code, collection: error.collection, key: error.key, message: error.message });
    if (this.recentErrors.length > RECENT_ERRORS) this.recentErrors.shift();
    try {
      this.onError?.(error);
    } catch {
      // onError is a reporting hook; a failing reporter must not break the tick.
    }
  }

  /** The last errors reported (at most 20), oldest first. */
  errors(): ReadonlyArray<{ code: string; collection?: string; key?: string; message: string }> {
    return this.recentErrors;
  }

  /** True when a tick is scheduled or running. */
  get busy(): boolean {
    return this.pending.size > 0 || this.running;
  }

  private schedule(): void {
    if (this.running) return; // the running tick picks it up
    if (this.scheduling === 'immediate') {
      if (this.immediate === undefined) this.immediate = setImmediate(() => this.flush());
    } else if (this.scheduling === 'microtask') {
      if (!this.microtaskQueued) {
        this.microtaskQueued = true;
        queueMicrotask(() => this.flush());
      }
    }
  }

  /**
   * Runs a tick now, synchronously: every pending change is applied and propagated, synced
   * states are updated, and subscribers get their batches.
   */
  flush(): void {
    if (this.running) return;
    if (this.immediate !== undefined) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
    this.microtaskQueued = false;
    this.running = true;
    const started = performance.now();
    try {
      let steps = 0;
      while (this.pending.size > 0 && steps++ < MAX_STEPS_PER_TICK) {
        let next: RegistryNode | undefined;
        for (const n of this.pending) if (next === undefined || n.rank < next.rank) next = n;
        this.pending.delete(next!);
        this.process(next!);
      }
      this.updateSynced();
    } finally {
      this.running = false;
      this.ticks++;
    }
    this.metrics?.tick((performance.now() - started) / 1000);
    // Delivery after the graph is quiet, so a subscriber never sees a half-applied tick.
    const deliveries = [...this.toDeliver].sort((a, b) => a.rank - b.rank);
    this.toDeliver.clear();
    for (const n of deliveries) n.deliver();
    if (this.pending.size > 0) this.schedule();
    else this.wakeIdle();
  }

  /**
   * Every kind catches the user code it runs; this is the last line, so that a failure nobody
   * foresaw still ends the tick normally (deliveries, idle waiters, the next schedule) instead
   * of escaping from a `setImmediate` and taking the process down.
   */
  private process(node: RegistryNode): void {
    try {
      node.process();
    } catch (cause) {
      this.reportError(
        new CollectionError('KLOOP_COLLECTION_TRANSFORM', `${node.name}: processing threw: ${String(cause)}`, {
          cause,
          collection: node.name,
        }),
      );
    }
  }

  private updateSynced(): void {
    // `nodes` iterates in insertion order, which is rank order: inputs are marked before the
    // collections that wait for them, within the same tick.
    for (const n of this.nodes.values()) if (!n.hasSynced() && n.canSync()) n.markSynced();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Resolves once no tick is pending. With `manual` scheduling it flushes first.
   *
   * @example
   * ```ts
   * import type { KubeObject } from 'kloop';
   * import { staticCollection } from 'kloop/collections';
   *
   * const registry = new CollectionRegistry();
   * const pods = staticCollection<KubeObject>('pods', [], { registry });
   * pods.set({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default', name: 'p' } });
   * await registry.idle(); // every derived collection reflects the new pod
   * ```
   */
  idle(): Promise<void> {
    if (this.scheduling === 'manual') this.flush();
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The collections, in rank order (the insertion order of `nodes`). */
  collections(): RegistryNode[] {
    return [...this.nodes.values()];
  }

  /** Disposes every collection and cancels a scheduled tick. */
  close(): void {
    for (const n of this.collections().reverse()) n.dispose();
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.pending.clear();
    this.wakeIdle();
  }

  /** The `/debug/kloop` section: every collection's description and the Mermaid graph. */
  describe(): RegistryDescription {
    const collections = this.collections().map((n) => n.describe());
    return { collections, mermaid: toMermaid(collections), ticks: this.ticks, pending: this.busy };
  }
}

function mermaidId(rank: number): string {
  return `c${rank}`;
}

function mermaidLabel(text: string): string {
  return text.replace(/"/g, '#quot;');
}

/**
 * The dependency graph in Mermaid form: one node per collection (name, kind, size), a solid
 * arrow per primary input and a dotted arrow, labelled with the filter, per fetch.
 */
export function toMermaid(collections: readonly CollectionDescription[]): string {
  const lines = ['flowchart LR'];
  const ids = new Map<string, string>();
  for (const c of collections) {
    ids.set(c.name, mermaidId(c.rank));
    lines.push(`  ${mermaidId(c.rank)}["${mermaidLabel(`${c.name} (${c.kind}, ${c.size})`)}"]`);
  }
  for (const c of collections) {
    const to = ids.get(c.name)!;
    for (const d of c.dependencies) {
      const from = ids.get(d.collection);
      if (from === undefined) continue;
      if (d.filter === 'primary') lines.push(`  ${from} --> ${to}`);
      else lines.push(`  ${from} -. "${mermaidLabel(`${d.filter} x${d.count}`)}" .-> ${to}`);
    }
  }
  return lines.join('\n');
}

/** The registry collections use unless given another. */
export const defaultRegistry: CollectionRegistry = new CollectionRegistry();
