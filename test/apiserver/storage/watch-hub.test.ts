import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Storage } from '../../../src/apiserver/storage/store.js';
import { type Watcher, WatchHub, type WatchSink } from '../../../src/apiserver/storage/watch-hub.js';
import type { KubeObject } from '../../../src/core/index.js';
import { keyString } from '../../../src/core/index.js';

function sink(lines: string[]): WatchSink {
  return { write: (l) => lines.push(l), end: () => {}, destroy: () => {} };
}

function watcher(lines: string[], options: Partial<Watcher> = {}): Watcher {
  return { resourceNames: ['configmaps'], sink: sink(lines), sinceRule: 0, stalled: false, closed: false, ...options };
}

/** Replays a watcher's lines into a name -> labels model. */
function replay(lines: string[]): Map<string, string> {
  const state = new Map<string, string>();
  for (const line of lines) {
    const e = JSON.parse(line) as { type: string; object: KubeObject };
    const key = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
    if (e.type === 'DELETED') {
      assert.ok(state.has(key), `DELETED for ${key} never added`);
      state.delete(key);
    } else if (e.type === 'ADDED') {
      assert.ok(!state.has(key), `ADDED twice for ${key}`);
      state.set(key, String(e.object.metadata.labels?.color));
    } else {
      assert.ok(state.has(key), `MODIFIED for ${key} never added`);
      state.set(key, String(e.object.metadata.labels?.color));
    }
  }
  return state;
}

describe('WatchHub', () => {
  it('keeps each filtered watcher equal to the filtered store (model test, selector crossing)', () => {
    const op = fc.record({
      kind: fc.constantFrom('put', 'put', 'del'),
      ns: fc.constantFrom('a', 'b'),
      name: fc.integer({ min: 0, max: 6 }),
      color: fc.constantFrom('red', 'blue'),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const storage = new Storage(1000);
        const store = storage.resource('/configmaps');
        const hub = new WatchHub();
        const all: string[] = [];
        const red: string[] = [];
        const nsA: string[] = [];
        const isRed = (o: KubeObject) => o.metadata.labels?.color === 'red';
        hub.add(store, watcher(all));
        hub.add(store, watcher(red, { filter: isRed }));
        hub.add(store, watcher(nsA, { namespace: 'a' }));
        for (const o of ops) {
          const key = keyString({ namespace: o.ns, name: `n${o.name}` });
          if (o.kind === 'put') {
            store.put(key, {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { namespace: o.ns, name: `n${o.name}`, labels: { color: o.color } },
            });
          } else store.remove(key);
        }
        const truth = new Map<string, string>();
        for (const s of store.all()) truth.set(s.key, String(s.object.metadata.labels?.color));
        const only = (pred: (k: string, v: string) => boolean) => new Map([...truth].filter(([k, v]) => pred(k, v)));
        assert.deepEqual(replay(all), truth);
        assert.deepEqual(
          replay(red),
          only((_, v) => v === 'red'),
        );
        assert.deepEqual(
          replay(nsA),
          only((k) => k.startsWith('a/')),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('serializes one line per event and shares it between watchers', () => {
    const storage = new Storage(10);
    const store = storage.resource('/configmaps');
    const hub = new WatchHub();
    const a: string[] = [];
    const b: string[] = [];
    hub.add(store, watcher(a));
    hub.add(store, watcher(b));
    store.put('ns/x', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', name: 'x' } });
    assert.equal(a.length, 1);
    assert.ok(Object.is(a[0], b[0]), 'the very same string');
    assert.equal(hub.size, 2);
    assert.equal(hub.closeAll(), 2);
    assert.equal(hub.size, 0);
  });
});
