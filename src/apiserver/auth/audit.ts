/**
 * `server.audit()`: the last requests the secure emulator served, each with who made it, what it
 * asked (verb, group, resource, subresource, namespace, name, or path), the answer's code and
 * whether authentication or authorization refused it. Bounded: the oldest entries go first.
 * Tests use it to show an operator never needed more than its Role (`denied` stays false).
 */
import type { AuditEntry, AuditFilter } from './types.js';

/** Default number of entries kept. */
export const DEFAULT_AUDIT_LIMIT = 10_000;

/** A bounded log of audit entries. */
export class AuditLog {
  private entries: AuditEntry[] = [];
  private seq = 0;

  constructor(private readonly limit: number = DEFAULT_AUDIT_LIMIT) {}

  /** Appends an entry (its `seq` is assigned here). */
  record(entry: Omit<AuditEntry, 'seq'>): void {
    this.entries.push(Object.freeze({ seq: ++this.seq, ...entry }));
    // Trim in batches so a full log costs O(1) per request on average.
    if (this.entries.length > this.limit * 1.25) this.entries = this.entries.slice(-this.limit);
  }

  /** The kept entries matching `filter`, oldest first. */
  list(filter: AuditFilter = {}): AuditEntry[] {
    const kept = this.entries.length > this.limit ? this.entries.slice(-this.limit) : this.entries;
    const verbs = filter.verb === undefined ? undefined : typeof filter.verb === 'string' ? [filter.verb] : filter.verb;
    return kept.filter(
      (e) =>
        (filter.user === undefined || e.user === filter.user) &&
        (verbs === undefined || verbs.includes(e.verb)) &&
        (filter.resource === undefined ||
          e.resource === filter.resource ||
          (e.resource !== undefined && `${e.resource}.${e.apiGroup ?? ''}` === filter.resource)) &&
        (filter.namespace === undefined || e.namespace === filter.namespace) &&
        (filter.denied === undefined || e.denied === filter.denied) &&
        (filter.code === undefined || e.code === filter.code),
    );
  }

  /** Forgets every entry. */
  clear(): void {
    this.entries = [];
  }
}
