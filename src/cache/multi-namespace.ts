/**
 * One informer over several namespaces (controller-runtime's `multiNamespaceCache`): a member
 * informer per namespace, each listing and watching only its namespace, read as one. Reads of a
 * namespace outside the set throw `CacheScopeError` rather than answer "not found": an operator
 * that reads outside its scope has a bug or a missing scope entry, and an empty answer would hide
 * it. Keys without a namespace find nothing (the type is namespaced).
 *
 * Whether a type is namespaced is known at once for built-ins; for others (custom resources) it
 * is found out through discovery when the informer starts, and a cluster-scoped type gets one
 * cluster-wide member instead: namespaces do not apply to it.
 */
import {
  isNewerResourceVersion,
  KloopError,
  type KubeObject,
  type ObjectKey,
  parseKeyString,
  type TypeRef,
} from '../core/index.js';
import { outsideScope } from './scope.js';
import type { IndexFunc, Informer, InformerEvent, InformerListOptions, SubscribeOptions } from './types.js';

type Handler<T extends KubeObject> = (event: InformerEvent<T>) => void;

/** What a {@link MultiNamespaceInformer} is built from; the factory fills it in. */
export interface MultiNamespaceInformerOptions<T extends KubeObject> {
  type: TypeRef;
  /** The namespaces held, at least one. */
  namespaces: readonly string[];
  /** The (shared) member informer of one namespace; `undefined`: the cluster-wide one. */
  member(namespace: string | undefined): Informer<T>;
  /** Whether the type is namespaced, known now or found out once started (aborted by stop). */
  namespaced: boolean | ((signal: AbortSignal) => Promise<boolean>);
}

/** Reads several namespaces' informers as one (see the module comment). */
export class MultiNamespaceInformer<T extends KubeObject = KubeObject> implements Informer<T> {
  readonly type: TypeRef;
  readonly namespaces: readonly string[];
  readonly #options: MultiNamespaceInformerOptions<T>;
  readonly #handlers = new Map<Handler<T>, { replay: boolean; off: Array<() => void> }>();
  readonly #indexes: Array<[string, IndexFunc<T>]> = [];
  readonly #stop = new AbortController();
  /** By namespace (`undefined`: the one cluster-wide member of a cluster-scoped type). */
  #members: Map<string | undefined, Informer<T>> | undefined;
  #started = false;
  readonly #syncedPromise: Promise<void>;
  #resolveSynced!: () => void;
  #rejectSynced!: (err: unknown) => void;

  constructor(options: MultiNamespaceInformerOptions<T>) {
    this.type = { apiVersion: options.type.apiVersion, kind: options.type.kind };
    this.namespaces = [...options.namespaces];
    this.#options = options;
    this.#syncedPromise = new Promise<void>((resolve, reject) => {
      this.#resolveSynced = resolve;
      this.#rejectSynced = reject;
    });
    this.#syncedPromise.catch(() => {});
    if (typeof options.namespaced === 'boolean') this.#materialize(options.namespaced);
  }

  /** True once the type's scope is known and the member informers exist. */
  get materialized(): boolean {
    return this.#members !== undefined;
  }

  /** True when the type turned out cluster-scoped (one cluster-wide member). */
  get clusterScoped(): boolean {
    return this.#members?.has(undefined) ?? false;
  }

  get synced(): Promise<void> {
    this.start();
    return this.#syncedPromise;
  }

  hasSynced(): boolean {
    return this.#members !== undefined && [...this.#members.values()].every((m) => m.hasSynced());
  }

  /** The oldest member's resourceVersion: every member has seen at least that far. */
  get lastSyncResourceVersion(): string | undefined {
    if (this.#members === undefined) return undefined;
    let oldest: string | undefined;
    for (const m of this.#members.values()) {
      const rv = m.lastSyncResourceVersion;
      if (rv === undefined) return undefined;
      if (oldest === undefined || isNewerResourceVersion(oldest, rv)) oldest = rv;
    }
    return oldest;
  }

  get size(): number {
    let n = 0;
    for (const m of this.#members?.values() ?? []) n += m.size;
    return n;
  }

  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  get(key: ObjectKey | string): T | undefined {
    this.start();
    const objectKey = typeof key === 'string' ? parseKeyString(key) : key;
    const member = this.#memberFor(objectKey.namespace);
    return member?.get(objectKey);
  }

  list(options: InformerListOptions = {}): T[] {
    this.start();
    const members = this.#members;
    if (options.namespace) {
      const member = this.#memberFor(options.namespace);
      return member ? member.list(options) : [];
    }
    if (members === undefined) return [];
    const out: T[] = [];
    for (const m of members.values()) for (const o of m.list(options)) out.push(o);
    return out;
  }

  subscribe(handler: Handler<T>, options: SubscribeOptions = {}): () => void {
    this.start();
    const entry = { replay: options.replay !== false, off: [] as Array<() => void> };
    this.#handlers.set(handler, entry);
    for (const m of this.#members?.values() ?? []) entry.off.push(m.subscribe(handler, { replay: entry.replay }));
    return () => {
      for (const off of entry.off.splice(0)) off();
      this.#handlers.delete(handler);
    };
  }

  start(): void {
    if (this.#started || this.stopped) return;
    this.#started = true;
    if (this.#members !== undefined) {
      this.#startMembers();
      return;
    }
    const find = this.#options.namespaced as (signal: AbortSignal) => Promise<boolean>;
    find(this.#stop.signal).then(
      (namespaced) => {
        if (!this.stopped) this.#materialize(namespaced);
      },
      (err: unknown) => {
        if (!this.stopped) this.#rejectSynced(err);
      },
    );
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.#stop.abort(new KloopError('KLOOP_INFORMER_STOPPED', `informer for ${typeId(this.type)} stopped`));
    if (!this.hasSynced())
      this.#rejectSynced(
        new KloopError('KLOOP_INFORMER_STOPPED', `informer for ${typeId(this.type)} stopped before it synced`),
      );
    await Promise.all([...(this.#members?.values() ?? [])].map((m) => m.stop()));
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    if (!this.#indexes.some(([n]) => n === name)) this.#indexes.push([name, fn]);
    for (const m of this.#members?.values() ?? []) m.addIndex(name, fn);
  }

  indexKeys(name: string, value: string): string[] {
    const out: string[] = [];
    for (const m of this.#members?.values() ?? []) for (const k of m.indexKeys(name, value)) out.push(k);
    return out;
  }

  /** The member holding `namespace`: none before the type's scope is known, or for no namespace. */
  #memberFor(namespace: string | undefined): Informer<T> | undefined {
    const members = this.#members;
    if (members?.has(undefined)) return members.get(undefined);
    if (namespace === undefined || namespace === '') return undefined;
    if (!this.namespaces.includes(namespace)) throw outsideScope(this.type, namespace, this.namespaces);
    return members?.get(namespace);
  }

  #materialize(namespaced: boolean): void {
    const members = new Map<string | undefined, Informer<T>>();
    if (namespaced) for (const ns of this.namespaces) members.set(ns, this.#options.member(ns));
    else members.set(undefined, this.#options.member(undefined));
    this.#members = members;
    for (const m of members.values()) {
      for (const [name, fn] of this.#indexes) m.addIndex(name, fn);
      for (const [handler, entry] of this.#handlers) entry.off.push(m.subscribe(handler, { replay: entry.replay }));
    }
    if (this.#started) this.#startMembers();
  }

  /** Starts the members (reading `synced` starts a shared informer) and follows their sync. */
  #startMembers(): void {
    const members = [...(this.#members?.values() ?? [])];
    for (const m of members) m.start();
    Promise.all(members.map((m) => m.synced)).then(
      () => this.#resolveSynced(),
      (err: unknown) => this.#rejectSynced(err),
    );
  }
}

function typeId(type: TypeRef): string {
  return `${type.apiVersion}/${type.kind}`;
}
