// Model test: random sequences of applies (with and without force) and plain updates on a
// ConfigMap's data, checked against a plain Map of field -> { value, owners }.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { applyServerSide, FieldSet, recordUpdate } from '../../../src/apiserver/ssa/index.js';
import { deepFreeze } from '../../../src/core/equal.js';
import type { KubeObject } from '../../../src/core/types.js';

type Op =
  | { kind: 'apply'; manager: string; data: Record<string, string>; force: boolean }
  | { kind: 'update'; manager: string; set: Record<string, string>; remove: string[] };

const KEYS = ['a', 'b', 'c', 'd'];
const VALUES = ['1', '2'];
const dataArb = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('apply' as const),
    manager: fc.constantFrom('m1', 'm2', 'm3'),
    data: dataArb,
    force: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('update' as const),
    manager: fc.constantFrom('u1', 'u2'),
    set: dataArb,
    remove: fc.subarray(KEYS, { maxLength: 2 }),
  }),
);

interface Field {
  value: string;
  owners: Set<string>;
}

function ownersFromObject(obj: KubeObject): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const e of obj.metadata.managedFields ?? []) {
    for (const path of FieldSet.fromFieldsV1(e.fieldsV1).paths()) {
      assert.equal(path[0], 'f:data');
      const key = path[1].slice(2);
      if (!out.has(key)) out.set(key, new Set());
      out.get(key)?.add(e.manager ?? '');
    }
  }
  return out;
}

function run(ops: Op[]): void {
  const model = new Map<string, Field>();
  const applied = new Map<string, Set<string>>(); // manager -> keys it applied last time
  let live: KubeObject | undefined;
  for (const op of ops) {
    if (op.kind === 'apply') {
      const body: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: op.data };
      const r = applyServerSide({
        live,
        applied: deepFreeze(body),
        manager: op.manager,
        force: op.force,
        now: '2024-01-01T00:00:00Z',
      });
      const conflicting = Object.entries(op.data).filter(([k, v]) => {
        const f = model.get(k);
        return f !== undefined && f.value !== v && [...f.owners].some((o) => o !== op.manager);
      });
      if (conflicting.length > 0 && !op.force) {
        assert.equal(r.ok, false, 'expected a conflict');
        if (!r.ok)
          assert.deepEqual(new Set(r.conflicts.map((c) => c.field)), new Set(conflicting.map(([k]) => `.data.${k}`)));
        continue;
      }
      assert.equal(r.ok, true, r.ok ? '' : r.message);
      if (!r.ok) return;
      for (const [k, v] of Object.entries(op.data)) {
        const f = model.get(k);
        if (f === undefined || f.value !== v) model.set(k, { value: v, owners: new Set([op.manager]) });
        else f.owners.add(op.manager);
      }
      for (const k of applied.get(op.manager) ?? []) {
        if (k in op.data) continue;
        const f = model.get(k);
        if (f === undefined) continue;
        f.owners.delete(op.manager);
        if (f.owners.size === 0) model.delete(k);
      }
      applied.set(op.manager, new Set(Object.keys(op.data)));
      live = deepFreeze(r.object);
    } else {
      const data: Record<string, string> = { ...((live?.data as Record<string, string>) ?? {}), ...op.set };
      for (const k of op.remove) delete data[k];
      const updated: KubeObject = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { ...(live?.metadata ?? { name: 'x' }) },
        data,
      };
      updated.metadata.managedFields = recordUpdate(live, updated, op.manager, { now: '2024-01-01T00:00:00Z' });
      for (const [k, v] of Object.entries(op.set)) {
        if (op.remove.includes(k)) continue;
        const f = model.get(k);
        if (f === undefined || f.value !== v) model.set(k, { value: v, owners: new Set([op.manager]) });
      }
      for (const k of op.remove) model.delete(k);
      // An updater's fields are no longer "applied" by anyone it took them from.
      for (const [m, keys] of applied)
        for (const k of keys) if (!model.get(k)?.owners.has(m)) applied.get(m)?.delete(k);
      live = deepFreeze(updated);
    }
    const want = Object.fromEntries([...model].map(([k, f]) => [k, f.value]));
    assert.deepEqual(live?.data ?? {}, want, 'object data');
    const got = ownersFromObject(live as KubeObject);
    assert.deepEqual(
      Object.fromEntries([...got].map(([k, s]) => [k, [...s].sort()])),
      Object.fromEntries([...model].map(([k, f]) => [k, [...f.owners].sort()])),
      'ownership',
    );
  }
}

describe('server-side apply model', () => {
  it('matches a Map model over random applies and updates', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 25 }), (ops) => {
        run(ops);
      }),
      { numRuns: 300 },
    );
  });
});
