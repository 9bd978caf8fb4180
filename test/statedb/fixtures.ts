// Shared fixtures of the StateDB tests: an object type with every index kind, random
// operations over it, and a Map model that applies them.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StateDB, type Table, type WriteTxn } from '../../src/statedb/index.js';

export interface Obj {
  id: string;
  group: string;
  num: number;
  slot?: number;
}

export const ids = ['a', 'ab', 'abc', 'b', 'ba', 'c', 'c\0x', 'd', 'é', '\u{1F600}'];
export const groups = ['g', 'g1', 'g2', 'h', ''];

export const objArb = fc
  .record(
    {
      id: fc.constantFrom(...ids),
      group: fc.constantFrom(...groups),
      num: fc.integer({ min: -3, max: 3 }).map((n) => n / 2),
      slot: fc.integer({ min: 0, max: 5 }),
    },
    { requiredKeys: ['id', 'group', 'num'] },
  )
  .map((o): Obj => ({ ...o })); // plain prototypes: strict deepEqual compares them

export type Op =
  | { op: 'insert'; obj: Obj }
  | { op: 'modify'; obj: Obj }
  | { op: 'delete'; id: string }
  | { op: 'deleteAll' }
  | { op: 'cas'; obj: Obj; right: boolean }
  | { op: 'cad'; id: string; right: boolean };

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: objArb.map((obj) => ({ op: 'insert' as const, obj })) },
  { weight: 2, arbitrary: objArb.map((obj) => ({ op: 'modify' as const, obj })) },
  { weight: 3, arbitrary: fc.constantFrom(...ids).map((id) => ({ op: 'delete' as const, id })) },
  { weight: 1, arbitrary: fc.constant({ op: 'deleteAll' as const }) },
  { weight: 2, arbitrary: fc.tuple(objArb, fc.boolean()).map(([obj, right]) => ({ op: 'cas' as const, obj, right })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...ids), fc.boolean())
      .map(([id, right]) => ({ op: 'cad' as const, id, right })),
  },
);

export const txnArb = fc.record({ ops: fc.array(opArb, { minLength: 1, maxLength: 6 }), abort: fc.boolean() });

export function makeDb(): { db: StateDB; t: Table<Obj> } {
  const db = new StateDB({ validate: true });
  const t = db.table<Obj>('objs', {
    primary: (o) => o.id,
    indexes: {
      group: { key: (o) => o.group, unique: false },
      num: { key: (o) => o.num, unique: false },
      slot: { key: (o) => o.slot, unique: true },
      pair: { key: (o) => [o.group, o.num], unique: false },
    },
  });
  return { db, t };
}

export const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
export const byId = (a: Obj, b: Obj) => cmpStr(a.id, b.id);

/** Applies one op to the model; returns false when the op must fail as a unique violation. */
export function applyModel(model: Map<string, Obj>, op: Op, revOk: boolean): 'ok' | 'violation' {
  const uniqueOk = (o: Obj) =>
    o.slot === undefined || ![...model.values()].some((x) => x.id !== o.id && x.slot === o.slot);
  switch (op.op) {
    case 'insert':
      if (!uniqueOk(op.obj)) return 'violation';
      model.set(op.obj.id, op.obj);
      return 'ok';
    case 'modify': {
      const old = model.get(op.obj.id);
      const merged = old === undefined ? op.obj : { ...old, num: op.obj.num };
      if (!uniqueOk(merged)) return 'violation';
      model.set(merged.id, merged);
      return 'ok';
    }
    case 'delete':
      model.delete(op.id);
      return 'ok';
    case 'deleteAll':
      model.clear();
      return 'ok';
    case 'cas':
      if (!model.has(op.obj.id) || !revOk) return 'ok';
      if (!uniqueOk(op.obj)) return 'violation';
      model.set(op.obj.id, op.obj);
      return 'ok';
    case 'cad':
      if (model.has(op.id) && revOk) model.delete(op.id);
      return 'ok';
  }
}

export function applyDb(txn: WriteTxn, t: Table<Obj>, op: Op): void {
  switch (op.op) {
    case 'insert':
      txn.insert(t, op.obj);
      return;
    case 'modify':
      txn.modify(t, op.obj, (old, o) => ({ ...old, num: o.num }));
      return;
    case 'delete':
      txn.delete(t, op.id);
      return;
    case 'deleteAll':
      txn.deleteAll(t);
      return;
    case 'cas': {
      const cur = txn.getRevisioned(t, op.obj.id);
      const res = txn.compareAndSwap(t, (cur?.revision ?? 0) + (op.right ? 0 : 1), op.obj);
      assert.equal(res.ok, cur !== undefined && op.right);
      return;
    }
    case 'cad': {
      const cur = txn.getRevisioned(t, op.id);
      const res = txn.compareAndDelete(t, (cur?.revision ?? 0) + (op.right ? 0 : 1), op.id);
      assert.equal(res.ok, cur !== undefined && op.right);
      return;
    }
  }
}
