/**
 * `server.audit()`: the last requests the secure emulator served, each with who made it, what it
 * asked (verb, group, resource, subresource, namespace, name, or path), the answer's code and
 * whether authentication or authorization refused it. Bounded: the oldest entries go first.
 * Tests use it to show an operator never needed more than its Role (`denied` stays false).
 *
 * An entry is recorded when the request arrives, so a watch that is still streaming is there
 * (with its 200 once the headers went out, 0 before): the code is read from the response until
 * it closes, then kept.
 */
import type { ServerResponse } from 'node:http';
import type { AuditEntry, AuditFilter } from '../types.js';

interface Kept {
  entry: Omit<AuditEntry, 'code'>;
  /** Set once the response closed. */
  code?: number;
  /** The response while it is open. */
  res?: ServerResponse;
}

function codeOf(res: ServerResponse): number {
  return res.headersSent ? res.statusCode : 0;
}

/** Default number of entries kept. */
export const DEFAULT_AUDIT_LIMIT = 10_000;

/** A bounded log of audit entries. */
export class AuditLog {
  private entries: Kept[] = [];
  private seq = 0;

  constructor(private readonly limit: number = DEFAULT_AUDIT_LIMIT) {}

  /** Appends the entry of a request answered by `res` (its `seq` is assigned here, its code read from `res`). */
  record(entry: Omit<AuditEntry, 'seq' | 'code'>, res: ServerResponse): void {
    const kept: Kept = { entry: { seq: ++this.seq, ...entry }, res };
    res.once('close', () => {
      kept.code = codeOf(res);
      kept.res = undefined;
    });
    this.entries.push(kept);
    // Trim in batches so a full log costs O(1) per request on average.
    if (this.entries.length > this.limit * 1.25) this.entries = this.entries.slice(-this.limit);
  }

  /** The kept entries matching `filter`, oldest first. */
  list(filter: AuditFilter = {}): AuditEntry[] {
    const kept = (this.entries.length > this.limit ? this.entries.slice(-this.limit) : this.entries).map(
      (k): AuditEntry => Object.freeze({ ...k.entry, code: k.code ?? (k.res ? codeOf(k.res) : 0) }),
    );
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
