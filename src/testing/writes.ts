/**
 * Assertions on what an operator wrote and on what the cluster refused it. Writes come from the
 * manager's debug record (every write of every reconcile: type, key, kind, changed fields) and its
 * metrics (`kloop_client_write_bytes_total`); refusals from the secure emulator's audit. Nothing
 * is recorded twice: these read what the manager and the emulator keep anyway.
 */
import { AssertionError } from 'node:assert';
import type { ApiServer, AuditEntry, AuditFilter } from '../apiserver/index.js';
import type { RecordedWrite } from '../controller/index.js';
import type { Manager } from '../manager/index.js';
import type { TestEmulator } from './emulator.js';
import { TestingUsageError } from './errors.js';

/** A write as {@link WriteRecorder} lists it: the record's write, with the reconcile it came from. */
export interface ObservedWrite extends RecordedWrite {
  controller: string;
  /** The reconcile's ID (the `reconcileID` of its log lines). */
  reconcileID: string;
}

/** Which writes to look at; every field left out matches all. */
export interface WriteFilter {
  controller?: string;
  /** The object's type: `apps/v1/Deployment`, or `{ apiVersion, kind }` (a constant such as `Deployment`). */
  type?: string | { apiVersion: string; kind: string };
  /** `create`, `patch`, `status`, `apply`, `delete`, `event`, ...; one or several. */
  kind?: string | readonly string[];
  /** The written object's `namespace/name` (or `name`). */
  key?: string;
}

/** What {@link WriteRecorder.expect} checks; every field left out is not checked. */
export interface WriteExpectation extends WriteFilter {
  /** Exactly this many writes match. */
  count?: number;
  /** At most this many writes match. */
  atMost?: number;
  /** At most this many request body bytes were written (by the matching controller, or all). */
  maxBytes?: number;
}

/** Reads a manager's writes since it was made or last {@link WriteRecorder.reset}. */
export interface WriteRecorder {
  /** Forgets the writes so far: what follows is counted from here. */
  reset(): Promise<void>;
  /** The writes made since, oldest first. */
  writes(filter?: WriteFilter): ObservedWrite[];
  /** How many writes match. */
  count(filter?: WriteFilter): number;
  /** Request body bytes the cached client wrote since (`kloop_client_write_bytes_total`), by controller. */
  bytes(filter?: { controller?: string }): Promise<number>;
  /**
   * Fails with an `AssertionError` listing the matching writes (type, key, kind, fields, the
   * reconcile) when `expected` does not hold.
   */
  expect(expected: WriteExpectation): Promise<void>;
}

function typeName(type: WriteFilter['type']): string | undefined {
  return typeof type === 'object' ? `${type.apiVersion}/${type.kind}` : type;
}

function matches(write: ObservedWrite, filter: WriteFilter): boolean {
  if (filter.controller !== undefined && write.controller !== filter.controller) return false;
  if (filter.type !== undefined && write.type !== typeName(filter.type)) return false;
  if (filter.key !== undefined && write.key !== filter.key) return false;
  if (filter.kind !== undefined) {
    const kinds = typeof filter.kind === 'string' ? [filter.kind] : filter.kind;
    if (!kinds.includes(write.kind)) return false;
  }
  return true;
}

async function writeBytes(mgr: Manager, controller?: string): Promise<number> {
  const metric = mgr.registry.getSingleMetric('kloop_client_write_bytes_total');
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => controller === undefined || v.labels.controller === controller)
    .reduce((sum, v) => sum + v.value, 0);
}

function describeWrite(w: ObservedWrite): string {
  const fields = w.changedPaths?.length ? w.changedPaths : w.fields;
  return `  ${w.controller}: ${w.kind} ${w.type} ${w.key}${fields.length ? ` [${fields.join(', ')}]` : ''} (reconcile ${w.reconcileID})`;
}

/**
 * Starts reading `mgr`'s writes. The debug record holds the last `recordSize` reconciles per
 * controller (`startManager` keeps 1000); older ones are not seen.
 *
 * @example
 * ```ts
 * import { Secret, type Manager } from 'kloop';
 * import { recordWrites } from 'kloop/testing';
 *
 * declare const mgr: Manager;
 * const writes = recordWrites(mgr);
 * // ... the operator reconciles ...
 * await writes.expect({ controller: 'mirror', type: Secret, kind: 'apply', count: 1 });
 * await writes.expect({ controller: 'mirror', kind: 'patch', count: 0 }); // nothing to change: nothing sent
 * ```
 */
export function recordWrites(mgr: Manager): WriteRecorder {
  let before = new Set<string>();
  let bytesBefore = new Map<string | undefined, number>();
  const all = (): ObservedWrite[] =>
    mgr
      .reconciles()
      .filter((r) => !before.has(r.reconcileID))
      .flatMap((r) => r.writes.map((w) => ({ ...w, controller: r.controller, reconcileID: r.reconcileID })));
  const recorder: WriteRecorder = {
    async reset() {
      before = new Set(mgr.reconciles().map((r) => r.reconcileID));
      bytesBefore = new Map();
      for (const c of [undefined, ...mgr.controllers().map((c) => c.name)])
        bytesBefore.set(c, await writeBytes(mgr, c));
    },
    writes: (filter = {}) => all().filter((w) => matches(w, filter)),
    count: (filter = {}) => recorder.writes(filter).length,
    async bytes(filter = {}) {
      return (await writeBytes(mgr, filter.controller)) - (bytesBefore.get(filter.controller) ?? 0);
    },
    async expect(expected) {
      const { count, atMost, maxBytes, ...filter } = expected;
      const found = recorder.writes(filter);
      const problems: string[] = [];
      if (count !== undefined && found.length !== count)
        problems.push(`expected ${count} writes, found ${found.length}`);
      if (atMost !== undefined && found.length > atMost)
        problems.push(`expected at most ${atMost} writes, found ${found.length}`);
      if (maxBytes !== undefined) {
        const bytes = await recorder.bytes(filter.controller === undefined ? {} : { controller: filter.controller });
        if (bytes > maxBytes) problems.push(`expected at most ${maxBytes} bytes written, found ${bytes}`);
      }
      if (problems.length === 0) return;
      const scope = JSON.stringify({ ...filter, type: typeName(filter.type) });
      throw new AssertionError({
        message: `writes ${scope}: ${problems.join('; ')}${found.length ? `\n${found.map(describeWrite).join('\n')}` : ''}`,
      });
    },
  };
  return recorder;
}

/** The requests the secure emulator refused (401 or 403), oldest first; `filter` as `server.audit()`'s. */
export function deniedRequests(cluster: TestEmulator | ApiServer, filter: AuditFilter = {}): AuditEntry[] {
  const server = 'server' in cluster ? cluster.server : cluster;
  return server.audit({ ...filter, denied: true });
}

function describeDenial(e: AuditEntry): string {
  const resource = e.resource
    ? `${e.resource}${e.subresource ? `/${e.subresource}` : ''}${e.apiGroup ? `.${e.apiGroup}` : ''}`
    : (e.path ?? '');
  const object = e.namespace ? `${e.namespace}/${e.name ?? ''}` : (e.name ?? '');
  return `  ${e.code} ${e.user || '(unauthenticated)'} ${e.verb} ${resource}${object ? ` ${object}` : ''}${e.reason ? `: ${e.reason}` : ''}`;
}

/**
 * Fails with an `AssertionError` listing each refused request (user, verb, resource, object,
 * the authorizer's reason) when the secure emulator refused any matching `filter` (a `user`,
 * say `system:serviceaccount:ops:my-operator`). The emulator must run in secure mode: on plain
 * HTTP nothing is ever refused and this passes trivially, so it throws a `TestingUsageError`
 * (`KLOOP_TESTING_USAGE`) there instead.
 *
 * @example
 * ```ts
 * import { assertNoDenials, type TestEmulator } from 'kloop/testing';
 *
 * declare const emulator: TestEmulator;
 * assertNoDenials(emulator, { user: 'system:serviceaccount:ops:my-operator' });
 * ```
 */
export function assertNoDenials(cluster: TestEmulator | ApiServer, filter: AuditFilter = {}): void {
  const server = 'server' in cluster ? cluster.server : cluster;
  if (!server.security) {
    throw new TestingUsageError('assertNoDenials() needs the secure mode: startEmulator({ secure: true })');
  }
  const denied = deniedRequests(server, filter);
  if (denied.length === 0) return;
  throw new AssertionError({
    message: `${denied.length} requests refused:\n${denied.map(describeDenial).join('\n')}`,
  });
}
