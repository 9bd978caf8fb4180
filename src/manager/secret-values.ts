/**
 * The values of the Secrets the process caches, to mask wherever they turn up in what the
 * framework emits: a reconcile error that quotes a password, a log line with a token in a URL.
 * Structural redaction (`redactSecrets`) hides Secret objects; this catches their values once
 * they have left the object, as text.
 *
 * It follows every Secret informer of the factory (found on each use, so informers made later
 * count), keeping each value in its base64 form and decoded, with a reference count of the cached
 * Secrets holding it. A value no cached Secret holds any more (rotated, or its Secret deleted) is
 * retired, not forgotten: a reconcile that read it before may still quote it, most likely in the
 * error of the very call the rotation made fail. The last {@link DEFAULT_RETIRED_LIMIT} retired
 * values stay masked. Values shorter than {@link MIN_MASKED_LENGTH} are not masked: "true" or
 * "admin" would otherwise vanish from every message.
 */
import type { InformerEvent, InformerReader } from '../cache/index.js';
import type { KubeObject } from '../core/index.js';
import { REDACTED } from './redact.js';

/** Shortest value masked, in characters. */
export const MIN_MASKED_LENGTH = 6;

/** Values no cached Secret holds any more that are still masked, most recently retired kept. */
export const DEFAULT_RETIRED_LIMIT = 4_096;

/** Options of {@link SecretValues}. */
export interface SecretValuesOptions {
  /** Retired values kept masked. Default {@link DEFAULT_RETIRED_LIMIT}. */
  retiredLimit?: number;
}

interface SecretLike extends KubeObject {
  data?: Record<string, unknown>;
  stringData?: Record<string, unknown>;
}

/**
 * Masks the values of cached Secrets in text.
 *
 * @example
 * ```ts
 * import { InformerFactory, KubeClient } from 'kloop';
 *
 * const informers = new InformerFactory(KubeClient.fromKubeconfig());
 * const values = new SecretValues(() => informers.informers());
 * values.mask('login failed for hunter2-the-password'); // the value replaced by <redacted> once cached
 * ```
 */
export class SecretValues {
  readonly #informers: () => Iterable<InformerReader>;
  readonly #followed = new WeakSet<InformerReader>();
  readonly #counts = new Map<string, number>();
  /** Values no cached Secret holds now, oldest retired first (a Set keeps insertion order). */
  readonly #retired = new Set<string>();
  readonly #retiredLimit: number;
  /** Values by their first MIN_MASKED_LENGTH characters, longest first: one lookup per position. */
  #byPrefix = new Map<string, string[]>();
  #dirty = false;

  /** `informers`: every informer of the process; those of `v1/Secret` are followed. */
  constructor(informers: () => Iterable<InformerReader>, options: SecretValuesOptions = {}) {
    this.#informers = informers;
    this.#retiredLimit = Math.max(0, options.retiredLimit ?? DEFAULT_RETIRED_LIMIT);
  }

  /** Distinct values cached Secrets hold now (retired values, also masked, not counted). */
  get size(): number {
    return this.#counts.size;
  }

  /**
   * `text` with every known secret value replaced by `<redacted>`. One pass over the text with a
   * map lookup per position (a regular expression of thousands of alternatives would try each at
   * every position), the longest value winning where several start at one place.
   */
  mask(text: string): string {
    const byPrefix = this.#current();
    if (byPrefix.size === 0 || text.length < MIN_MASKED_LENGTH) return text;
    let out = '';
    let copied = 0;
    for (let i = 0; i + MIN_MASKED_LENGTH <= text.length; ) {
      const candidates = byPrefix.get(text.slice(i, i + MIN_MASKED_LENGTH));
      const found = candidates?.find((value) => text.startsWith(value, i));
      if (found === undefined) {
        i++;
        continue;
      }
      out += text.slice(copied, i) + REDACTED;
      i += found.length;
      copied = i;
    }
    return copied === 0 ? text : out + text.slice(copied);
  }

  /**
   * Follows `informer` now if it is one of `v1/Secret` (idempotent). The manager calls it as each
   * informer is made, so every value is seen from the first list on: one replaced before the next
   * `mask` would otherwise never be known. (Subscribing starts the informer.)
   */
  follow(informer: InformerReader): void {
    if (this.#followed.has(informer)) return;
    if (informer.type.apiVersion !== 'v1' || informer.type.kind !== 'Secret') return;
    this.#followed.add(informer);
    informer.subscribe((event) => this.#observe(event as InformerEvent<SecretLike>), { replay: true });
  }

  /** The values known now, by prefix (follows informers made since the last call). */
  #current(): Map<string, string[]> {
    for (const informer of this.#informers()) this.follow(informer);
    if (this.#dirty) {
      this.#dirty = false;
      const byPrefix = new Map<string, string[]>();
      for (const value of [...this.#counts.keys(), ...this.#retired]) {
        const prefix = value.slice(0, MIN_MASKED_LENGTH);
        const list = byPrefix.get(prefix);
        if (list) list.push(value);
        else byPrefix.set(prefix, [value]);
      }
      // Longest first, so a value containing another is masked whole.
      for (const list of byPrefix.values()) list.sort((a, b) => b.length - a.length);
      this.#byPrefix = byPrefix;
    }
    return this.#byPrefix;
  }

  #observe(event: InformerEvent<SecretLike>): void {
    // Both sides first, then retire what no Secret holds: an update that keeps a value must not
    // retire it for a moment (and push an older retired value out).
    const dropped = event.type !== 'added' ? this.#count(event.oldObject, -1) : [];
    if (event.type !== 'deleted') this.#count(event.object, 1);
    for (const value of dropped) if (!this.#counts.has(value)) this.#retire(value);
  }

  /** Counts the values of `secret` up or down; returns those whose count went to zero. */
  #count(secret: SecretLike | undefined, by: 1 | -1): string[] {
    const zero: string[] = [];
    if (secret === undefined) return zero;
    for (const value of valuesOf(secret)) {
      const n = (this.#counts.get(value) ?? 0) + by;
      if (n > 0) {
        // The prefix map changes only for a value neither held nor retired before.
        if (n === 1 && by === 1 && !this.#retired.delete(value)) this.#dirty = true;
        this.#counts.set(value, n);
      } else {
        this.#counts.delete(value);
        zero.push(value);
      }
    }
    return zero;
  }

  /** Keeps a value no Secret holds masked, among the last `retiredLimit` retired. */
  #retire(value: string): void {
    this.#retired.delete(value);
    this.#retired.add(value);
    for (const oldest of this.#retired) {
      if (this.#retired.size <= this.#retiredLimit) break;
      this.#retired.delete(oldest);
      this.#dirty = true;
    }
  }
}

/** The maskable forms of a Secret's values: base64 as stored, decoded, and long decoded lines. */
function valuesOf(secret: SecretLike): string[] {
  const out = new Set<string>();
  const add = (v: string) => {
    if (v.length >= MIN_MASKED_LENGTH) out.add(v);
  };
  for (const v of Object.values(secret.data ?? {})) {
    if (typeof v !== 'string') continue;
    add(v);
    const decoded = Buffer.from(v, 'base64').toString('utf8');
    if (!printable(decoded)) continue;
    add(decoded);
    addLines(decoded, add);
  }
  for (const v of Object.values(secret.stringData ?? {})) {
    if (typeof v !== 'string') continue;
    add(v);
    addLines(v, add);
  }
  return [...out];
}

/** Each line of a multi-line value (a PEM key quoted in part still hides its lines). */
function addLines(value: string, add: (v: string) => void): void {
  if (!value.includes('\n')) return;
  for (const line of value.split(/\r?\n/)) add(line.trim());
}

/** Text a message could quote: no replacement characters, no control characters but whitespace. */
function printable(text: string): boolean {
  return !/[\uFFFD\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(text);
}
