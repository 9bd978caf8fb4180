/**
 * Watch fan-out. Each resource store has one listener; an event visits only the watchers of that
 * resource (O(watchers of the resource), never O(objects)), and each distinct event line is
 * serialized once and written to every watcher that wants it.
 *
 * Selector crossing follows the real server's cacher: an object that starts matching arrives as
 * ADDED, one that stops matching as DELETED carrying its previous content with the new
 * resourceVersion.
 */
import type { KubeObject } from '../../core/index.js';
import type { ResourceStore, StoredEvent } from './store.js';

/** Where a watcher's lines go (a chunked HTTP response in the server). */
export interface WatchSink {
  write(chunk: string): void;
  /** Batches the writes of one tick into one socket write. */
  cork?(): void;
  uncork?(): void;
  /** Clean end of the stream. */
  end(): void;
  /** Abrupt close (fault injection). */
  destroy(): void;
}

/** One watch stream. */
export interface Watcher {
  /** `plural` and `plural.group`, for fault scoping. */
  readonly resourceNames: readonly string[];
  readonly namespace?: string;
  readonly filter?: (object: KubeObject) => boolean;
  /** Live events at or before this revision are skipped (a watch from a revision not reached yet). */
  readonly afterRevision?: number;
  readonly sink: WatchSink;
  /** Events written since the last drop-after rule applied to it. */
  sinceRule: number;
  /** Silent forever (stall fault). */
  stalled: boolean;
  closed: boolean;
  /** Called once when the hub closes or forgets the watcher. */
  onClose?: () => void;
  /** Renders an event line itself (Table or metadata-only watches); plain watchers share lines. */
  render?: (type: string, object: KubeObject, json: string) => string;
}

interface DropRule {
  n: number;
  resource?: string;
}

/** Formats one watch event line: `{"type":"...","object":...}\n`. */
export function eventLine(type: string, objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}\n`;
}

function inNamespace(w: Watcher, object: KubeObject): boolean {
  return w.namespace === undefined || object.metadata.namespace === w.namespace;
}

/** Fans committed events out to the watchers of each resource. */
export class WatchHub {
  private readonly watchers = new Map<ResourceStore, Set<Watcher>>();
  private readonly unlisten = new Map<ResourceStore, () => void>();
  private readonly dropRules = new Set<DropRule>();
  private readonly stallRules = new Set<string | undefined>();
  private readonly corked = new Set<Watcher>();

  /** Number of open watches (all resources). */
  get size(): number {
    let n = 0;
    for (const set of this.watchers.values()) n += set.size;
    return n;
  }

  /**
   * Registers a watcher. Call it in the same tick as the initial events are written, so no
   * event falls between the replay and the live stream.
   */
  add(store: ResourceStore, watcher: Watcher): void {
    let set = this.watchers.get(store);
    if (!set) {
      set = new Set();
      this.watchers.set(store, set);
      const watchers = set;
      this.unlisten.set(
        store,
        store.listen((event) => this.dispatch(store, watchers, event)),
      );
    }
    for (const resource of this.stallRules) if (matchesResource(watcher, resource)) watcher.stalled = true;
    set.add(watcher);
  }

  /** Forgets a watcher (its stream is gone). */
  remove(store: ResourceStore, watcher: Watcher): void {
    const set = this.watchers.get(store);
    if (!set) return;
    set.delete(watcher);
    this.corked.delete(watcher);
    if (set.size === 0) {
      this.watchers.delete(store);
      this.unlisten.get(store)?.();
      this.unlisten.delete(store);
    }
  }

  /** Closes the watchers of `resource` (all when undefined); returns how many. */
  closeAll(options: { resource?: string; abrupt?: boolean } = {}): number {
    let n = 0;
    for (const [store, set] of [...this.watchers]) {
      for (const w of [...set]) {
        if (!matchesResource(w, options.resource)) continue;
        this.close(store, w, options.abrupt ?? false);
        n++;
      }
    }
    return n;
  }

  /** Adds a drop-after-n rule; returns its remover. Open watchers start counting now. */
  dropAfter(n: number, resource?: string): () => void {
    const rule: DropRule = resource === undefined ? { n } : { n, resource };
    for (const set of this.watchers.values()) {
      for (const w of set) if (matchesResource(w, resource)) w.sinceRule = 0;
    }
    this.dropRules.add(rule);
    return () => this.dropRules.delete(rule);
  }

  /** Stalls open and future watchers of `resource`; returns the remover (for future ones). */
  stall(resource?: string): () => void {
    for (const set of this.watchers.values()) {
      for (const w of set) if (matchesResource(w, resource)) w.stalled = true;
    }
    this.stallRules.add(resource);
    return () => this.stallRules.delete(resource);
  }

  /** Writes a line to a watcher, batching the writes of one tick. */
  send(store: ResourceStore, w: Watcher, line: string): void {
    if (w.closed || w.stalled) return;
    if (w.sink.cork && !this.corked.has(w)) {
      w.sink.cork();
      this.corked.add(w);
      if (this.corked.size === 1) process.nextTick(() => this.flush());
    }
    w.sink.write(line);
    w.sinceRule++;
    for (const rule of this.dropRules) {
      if (w.sinceRule >= rule.n && matchesResource(w, rule.resource)) {
        // End (not reset) so the n-th event still reaches the client before the stream goes.
        this.close(store, w, false);
        return;
      }
    }
  }

  /** Ends a watcher's stream and forgets it. */
  close(store: ResourceStore, w: Watcher, abrupt: boolean): void {
    if (w.closed) return;
    w.closed = true;
    this.remove(store, w);
    if (abrupt) w.sink.destroy();
    else {
      w.sink.uncork?.();
      w.sink.end();
    }
    w.onClose?.();
  }

  private flush(): void {
    const corked = [...this.corked];
    this.corked.clear();
    for (const w of corked) if (!w.closed) w.sink.uncork?.();
  }

  private dispatch(store: ResourceStore, watchers: Set<Watcher>, event: StoredEvent): void {
    // Lines are built lazily and shared by every watcher of this event that takes plain objects.
    const lines = new Map<string, string>();
    let crossedOut: { object: KubeObject; json: string } | undefined;
    const current = event.object.object;
    const prev = event.prev?.object;
    for (const w of watchers) {
      if (w.closed || w.stalled || !inNamespace(w, current)) continue;
      if (w.afterRevision !== undefined && event.rv <= w.afterRevision) continue;
      const filter = w.filter;
      let type: string;
      let object = event.object.object;
      let json = event.object.json;
      if (event.type !== 'MODIFIED' || !filter) {
        if (filter && !filter(current)) continue;
        type = event.type;
      } else {
        const now = filter(current);
        const before = prev !== undefined && filter(prev);
        if (now) type = before ? 'MODIFIED' : 'ADDED';
        else if (before && prev) {
          crossedOut ??= withRevision(prev, event.rv);
          type = 'DELETED';
          object = crossedOut.object;
          json = crossedOut.json;
        } else continue;
      }
      if (w.render) {
        this.send(store, w, w.render(type, object, json));
        continue;
      }
      const cacheKey = object === current ? type : `crossed-${type}`;
      let line = lines.get(cacheKey);
      if (line === undefined) {
        line = eventLine(type, json);
        lines.set(cacheKey, line);
      }
      this.send(store, w, line);
    }
  }
}

/** The previous content of an object with a newer resourceVersion (selector crossing out). */
export function withRevision(object: KubeObject, rv: number): { object: KubeObject; json: string } {
  const copy = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
  return { object: copy, json: JSON.stringify(copy) };
}

function matchesResource(w: Watcher, resource: string | undefined): boolean {
  return resource === undefined || w.resourceNames.includes(resource);
}
