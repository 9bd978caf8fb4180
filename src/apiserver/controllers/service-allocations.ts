/**
 * Which ClusterIPs and NodePorts the stored Services hold, kept up to date from the Service
 * store's events (the role of the API server's allocator bitmaps), so that admitting a Service
 * costs the same however many Services exist instead of a scan of all of them.
 */
import { isPlainObject, type KubeObject } from '../../core/index.js';
import type { ResourceStore, StoredEvent } from '../storage/store.js';

/** A set of taken values as one write sees it: the stored Services' minus its own, plus its picks. */
export interface Taken<T> {
  has(value: T): boolean;
  add(value: T): void;
}

interface Held {
  ips: string[];
  ports: number[];
}

function heldBy(obj: KubeObject): Held {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const ips = (Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [spec.clusterIP]).filter(
    (ip): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None',
  );
  const ports = (Array.isArray(spec.ports) ? spec.ports.filter(isPlainObject) : [])
    .map((p) => p.nodePort)
    .filter((p): p is number => typeof p === 'number');
  return { ips, ports };
}

function bump<T>(counts: Map<T, number>, value: T, by: number): void {
  const n = (counts.get(value) ?? 0) + by;
  if (n > 0) counts.set(value, n);
  else counts.delete(value);
}

/** The allocations of every stored Service, indexed by value. */
export class ServiceAllocations {
  private readonly byKey = new Map<string, Held>();
  private readonly ipCount = new Map<string, number>();
  private readonly portCount = new Map<number, number>();

  constructor(store: ResourceStore) {
    for (const stored of store.all()) this.set(stored.key, stored.object);
    store.listen((e: StoredEvent) => {
      if (e.type === 'DELETED') this.remove(e.key);
      else this.set(e.key, e.object.object);
    });
  }

  /** What a write of `obj` (stored under `key`, if it is) may not take. */
  takenFor(key: string): { ips: Taken<string>; ports: Taken<number> } {
    const own = this.byKey.get(key) ?? { ips: [], ports: [] };
    const view = <T>(counts: Map<T, number>, mine: readonly T[]): Taken<T> => {
      const picked = new Set<T>();
      return {
        has: (v) => picked.has(v) || (counts.get(v) ?? 0) - mine.filter((m) => m === v).length > 0,
        add: (v) => {
          picked.add(v);
        },
      };
    };
    return { ips: view(this.ipCount, own.ips), ports: view(this.portCount, own.ports) };
  }

  private set(key: string, obj: KubeObject): void {
    this.remove(key);
    const held = heldBy(obj);
    this.byKey.set(key, held);
    for (const ip of held.ips) bump(this.ipCount, ip, 1);
    for (const port of held.ports) bump(this.portCount, port, 1);
  }

  private remove(key: string): void {
    const held = this.byKey.get(key);
    if (!held) return;
    this.byKey.delete(key);
    for (const ip of held.ips) bump(this.ipCount, ip, -1);
    for (const port of held.ports) bump(this.portCount, port, -1);
  }
}
