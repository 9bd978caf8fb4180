/**
 * Fault injection: the switches tests flip at run time to make the emulator slow, failing,
 * conflicting, forgetful (compaction) or rude to watchers. The server asks {@link FaultSet}
 * before serving each request; watch faults act through the {@link WatchHub}.
 */
import { internalError, type StatusError, serviceUnavailable, tooManyRequests } from '../errors/status-errors.js';
import type { Storage } from '../storage/store.js';
import type { WatchHub } from '../storage/watch-hub.js';
import type { ConflictFaultOptions, ErrorFaultOptions, FaultHandle, FaultScope, Faults, Verb } from '../types.js';

interface Rule {
  verbs?: readonly Verb[];
  resource?: string;
}

interface LatencyRule extends Rule {
  ms: number;
}

interface ErrorRule extends Rule {
  rate: number;
  code: 429 | 500 | 503;
  retryAfterSeconds?: number;
}

interface ConflictRule extends Rule {
  rate?: number;
  remaining?: number;
}

function scope(options: FaultScope | undefined): Rule {
  const rule: Rule = {};
  if (options?.verb !== undefined) rule.verbs = typeof options.verb === 'string' ? [options.verb] : options.verb;
  if (options?.resource !== undefined) rule.resource = options.resource;
  return rule;
}

function hits(rule: Rule, verb: Verb, resourceNames: readonly string[]): boolean {
  if (rule.verbs && !rule.verbs.includes(verb)) return false;
  return rule.resource === undefined || resourceNames.includes(rule.resource);
}

function handle(remove: () => void): FaultHandle {
  let active = true;
  return {
    clear() {
      if (!active) return;
      active = false;
      remove();
    },
    get active() {
      return active;
    },
  };
}

/** The server's fault state, and the public {@link Faults} surface over it. */
export class FaultSet implements Faults {
  private readonly latencies = new Set<LatencyRule>();
  private readonly errorRules = new Set<ErrorRule>();
  private readonly conflictRules = new Set<ConflictRule>();
  private readonly removers = new Set<() => void>();

  constructor(
    private readonly hub: WatchHub,
    private readonly storage: Storage,
    private readonly random: () => number,
  ) {}

  latency(options: { ms: number } & FaultScope): FaultHandle {
    const rule: LatencyRule = { ...scope(options), ms: options.ms };
    return this.track(this.latencies, rule);
  }

  errors(options: ErrorFaultOptions): FaultHandle {
    const rule: ErrorRule = { ...scope(options), rate: options.rate, code: options.code };
    if (options.retryAfterSeconds !== undefined) rule.retryAfterSeconds = options.retryAfterSeconds;
    return this.track(this.errorRules, rule);
  }

  dropWatches(options: { resource?: string } = {}): FaultHandle & { readonly dropped: number } {
    const dropped = this.hub.closeAll({ ...options, abrupt: true });
    return Object.assign(
      handle(() => {}),
      { dropped },
    );
  }

  dropWatchesAfter(n: number, options: { resource?: string } = {}): FaultHandle {
    return this.trackRemover(this.hub.dropAfter(n, options.resource));
  }

  stallWatches(options: { resource?: string } = {}): FaultHandle {
    return this.trackRemover(this.hub.stall(options.resource));
  }

  compact(): FaultHandle {
    this.storage.compact();
    return handle(() => {});
  }

  conflicts(options: ConflictFaultOptions): FaultHandle {
    const rule: ConflictRule = scope(options);
    rule.verbs ??= ['update', 'patch'];
    if (options.count !== undefined) rule.remaining = options.count;
    if (options.rate !== undefined) rule.rate = options.rate;
    if (rule.remaining === undefined && rule.rate === undefined) rule.rate = 1;
    return this.track(this.conflictRules, rule);
  }

  clear(): void {
    this.latencies.clear();
    this.errorRules.clear();
    this.conflictRules.clear();
    for (const remove of [...this.removers]) remove();
    this.removers.clear();
  }

  /** Total injected delay for a request, in ms (0 when none). */
  delayFor(verb: Verb, resourceNames: readonly string[]): number {
    let ms = 0;
    for (const rule of this.latencies) if (hits(rule, verb, resourceNames)) ms += rule.ms;
    return ms;
  }

  /** An injected error for this request, if one fires. */
  errorFor(verb: Verb, resourceNames: readonly string[]): StatusError | undefined {
    for (const rule of this.errorRules) {
      if (!hits(rule, verb, resourceNames) || this.random() >= rule.rate) continue;
      if (rule.code === 429) return tooManyRequests(rule.retryAfterSeconds ?? 1);
      if (rule.code === 503) return serviceUnavailable('injected fault: service unavailable', rule.retryAfterSeconds);
      return internalError('injected fault');
    }
    return undefined;
  }

  /** True when this write should answer 409 Conflict (consumes one of a counted rule). */
  conflictFor(verb: Verb, resourceNames: readonly string[]): boolean {
    for (const rule of this.conflictRules) {
      if (!hits(rule, verb, resourceNames)) continue;
      if (rule.remaining !== undefined) {
        if (rule.remaining <= 0) continue;
        rule.remaining--;
        return true;
      }
      if (rule.rate !== undefined && this.random() < rule.rate) return true;
    }
    return false;
  }

  private track<T>(set: Set<T>, rule: T): FaultHandle {
    set.add(rule);
    return handle(() => set.delete(rule));
  }

  private trackRemover(remove: () => void): FaultHandle {
    this.removers.add(remove);
    return handle(() => {
      this.removers.delete(remove);
      remove();
    });
  }
}
