import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makePipeline } from '../../src/cache/index.js';
import { LabelSharer } from '../../src/cache/label-sharing.js';
import type { KubeObject } from '../../src/core/index.js';

const type = { apiVersion: 'v1', kind: 'ConfigMap' };
const managedFields = [{ manager: 'kubectl', operation: 'Update' }];

/** A wire object as `JSON.parse` makes it (the pipeline may change it in place). */
function wire(metadata: Record<string, unknown>): KubeObject {
  return JSON.parse(JSON.stringify({ metadata, data: { a: 'b' } })) as KubeObject;
}

/** `metadata` without managedFields, its fields in the same order. */
function stripped(metadata: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(metadata).filter(([k]) => k !== 'managedFields'));
}

describe('makePipeline', () => {
  it('strips managedFields and keeps every other field, in order, whatever the layout of each object', () => {
    const prepare = makePipeline({ type });
    const layouts: Array<Record<string, unknown>> = [
      { name: 'a', namespace: 'ns', uid: 'u1', resourceVersion: '1', managedFields, labels: { x: 'y' } },
      { name: 'b', namespace: 'ns', uid: 'u2', resourceVersion: '2', managedFields, labels: { x: 'z' } },
      // another layout, then the first again: each object is copied by its own layout
      { managedFields, name: 'c', finalizers: ['f'], deletionTimestamp: '2025-01-01T00:00:00Z' },
      { name: 'd', namespace: 'ns', uid: 'u4', resourceVersion: '4', managedFields, labels: {} },
      // one field fewer, one field more than the last layout
      { name: 'e', namespace: 'ns', uid: 'u5', resourceVersion: '5', managedFields },
      { name: 'f', namespace: 'ns', uid: 'u6', resourceVersion: '6', managedFields, labels: {}, generation: 3 },
      // a field that holds undefined is kept as a field
      { name: 'g', managedFields, annotations: undefined },
    ];
    for (const metadata of [...layouts, ...layouts]) {
      const obj = prepare(wire(metadata));
      const want = stripped(JSON.parse(JSON.stringify(metadata)) as Record<string, unknown>);
      assert.deepStrictEqual(obj.metadata, want);
      assert.deepStrictEqual(Object.keys(obj.metadata), Object.keys(want));
      assert.equal(Object.getPrototypeOf(obj.metadata), Object.prototype);
      assert.equal(obj.kind, 'ConfigMap');
    }
  });

  it('copies fields that are no identifiers (an own __proto__, a numeric key) as fields, never as a prototype', () => {
    const prepare = makePipeline({ type });
    const text = '{"metadata":{"__proto__":{"polluted":true},"1":"one","name":"a","managedFields":[]}}';
    const obj = prepare(JSON.parse(text) as KubeObject);
    const meta = obj.metadata as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(meta), Object.prototype);
    assert.deepStrictEqual(Object.keys(meta), ['1', '__proto__', 'name']);
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(meta, '__proto__')?.value, { polluted: true });
    assert.equal((meta as { polluted?: unknown }).polluted, undefined);
    assert.equal(meta.managedFields, undefined);
  });

  it('keeps managedFields on request and leaves metadata without them as parsed', () => {
    const kept = makePipeline({ type, keepManagedFields: true })(wire({ name: 'a', managedFields }));
    assert.deepStrictEqual(kept.metadata.managedFields, managedFields);
    const plain = wire({ name: 'a', uid: 'u' });
    const meta = plain.metadata;
    assert.equal(makePipeline({ type })(plain).metadata, meta);
  });

  it('metadata-only: apiVersion and kind of the informer, metadata stripped, the rest dropped', () => {
    const obj = makePipeline({ type, metadataOnly: true })(wire({ name: 'a', managedFields, labels: { x: 'y' } }));
    assert.deepStrictEqual(obj, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', labels: { x: 'y' } } });
  });
});

describe('LabelSharer', () => {
  it('hands out one copy of equal label maps: same keys in the same order and same values', () => {
    const sharer = new LabelSharer();
    const first = { app: 'web', tier: 'front' };
    assert.equal(sharer.share(first), first);
    assert.equal(sharer.share({ app: 'web', tier: 'front' }), first);
    const reordered = { tier: 'front', app: 'web' };
    assert.equal(sharer.share(reordered), reordered);
    const otherKeys = { app: 'web', role: 'front' };
    assert.equal(sharer.share(otherKeys), otherKeys);
    const otherValue = { app: 'web', tier: 'back' };
    assert.equal(sharer.share(otherValue), otherValue);
    const longer = { app: 'web', tier: 'front', x: 'y' };
    assert.equal(sharer.share(longer), longer);
    const empty = {};
    assert.equal(sharer.share(empty), empty);
    assert.equal(sharer.share({}), empty);
    const notStrings = { n: 1 } as unknown as Record<string, string>;
    const again = { ...notStrings };
    sharer.share(notStrings);
    assert.equal(sharer.share(again), again);
  });

  it('freezes a shared map, so a write through one object cannot change the labels of the others', () => {
    const sharer = new LabelSharer();
    const first = sharer.share({ app: 'web' });
    const second = sharer.share({ app: 'web' });
    assert.equal(second, first);
    assert.ok(Object.isFrozen(first));
    assert.throws(() => {
      (second as Record<string, string>).app = 'db';
    }, TypeError);
    assert.equal(first.app, 'web');
  });

  it('pauses while label maps do not repeat (a pod-name label), then shares again', () => {
    const sharer = new LabelSharer();
    // A window of 1024 unique maps finds no copy: the next 64 windows are not even looked up.
    for (let i = 0; i < 1024; i++) sharer.share({ name: `pod-${i}` });
    const a = { app: 'web' };
    assert.equal(sharer.share(a), a);
    assert.notEqual(sharer.share({ app: 'web' }), a);
    for (let i = 0; i < 64 * 1024; i++) sharer.share({ name: `pod-${i}` });
    const b = { app: 'web' };
    assert.equal(sharer.share(b), b);
    assert.equal(sharer.share({ app: 'web' }), b);
  });

  it('through the pipeline: equal labels share one object; metadata a transform froze keeps its own', () => {
    const prepare = makePipeline({ type });
    const a = prepare(wire({ name: 'a', managedFields, labels: { app: 'web' } }));
    const b = prepare(wire({ name: 'b', labels: { app: 'web' } }));
    assert.equal(a.metadata.labels, b.metadata.labels);
    const freezing = makePipeline({
      type,
      transform: (o: KubeObject) => ({ ...o, metadata: Object.freeze({ ...o.metadata }) }),
    });
    const c = freezing(wire({ name: 'c', labels: { app: 'db' } }));
    const d = freezing(wire({ name: 'd', labels: { app: 'db' } }));
    assert.deepStrictEqual(d.metadata.labels, { app: 'db' });
    assert.notEqual(c.metadata.labels, d.metadata.labels);
  });
});

describe('makePipeline where code generation is disallowed', () => {
  it('copies metadata field by field instead of failing', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = [
      "import { makePipeline } from './src/cache/index.ts';",
      "const prepare = makePipeline({ type: { apiVersion: 'v1', kind: 'ConfigMap' } });",
      "const obj = prepare({ metadata: { name: 'a', namespace: 'ns', managedFields: [{ manager: 'm' }] } });",
      'console.log(JSON.stringify(obj.metadata));',
    ].join('\n');
    const child = spawnSync(
      process.execPath,
      ['--disallow-code-generation-from-strings', '--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), { name: 'a', namespace: 'ns' });
  });
});

describe('metadata layouts and label maps with unusual keys', () => {
  it('a layout whose keys joined look like another layout is copied by its own fields', () => {
    // The layouts {a, b} and {"a\nb"} once had one signature (keys joined by a newline): the
    // second was copied by the first's compiled literal, losing its field and inventing two.
    const prepare = makePipeline({ type });
    prepare(wire({ a: '1', b: '2', managedFields }));
    const odd = prepare(wire({ 'a\nb': 'v', managedFields }));
    assert.deepStrictEqual(odd.metadata, { 'a\nb': 'v' });
    const again = prepare(wire({ a: '3', b: '4', managedFields }));
    assert.deepStrictEqual(again.metadata, { a: '3', b: '4' });
  });
});

describe('LabelSharer against the maps it is given', () => {
  it('always hands back a map with the same own keys, in the same order, and values (keys such as __proto__, constructor, integers)', () => {
    // Integer-like keys enumerate first in ascending order, whatever the JSON order: maps parsed
    // from different texts can be equal or not in ways the text does not show.
    const keyPool = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', '1', '2', '10', 'a', 'b'];
    const valuePool = ['x', 'y', '1', '', '__proto__'];
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const sharer = new LabelSharer();
    const own = (m: object) => Object.keys(m).map((k) => [k, Object.getOwnPropertyDescriptor(m, k)?.value]);
    // Phases: repeating maps; unique values half the time (the trie fills past its bound while
    // the hit rate stays high); unique values only (sharing pauses); repeating maps again.
    for (let i = 0; i < 80_000; i++) {
      const phase = i < 20_000 ? 0 : i < 40_000 ? 1 : i < 60_000 ? 2 : 0;
      const n = rand(4);
      const parts: string[] = [];
      for (let j = 0; j < n; j++) {
        const unique = phase === 2 || (phase === 1 && i % 2 === 0);
        const value = unique && j === n - 1 ? `u${i}` : valuePool[rand(valuePool.length)];
        parts.push(`${JSON.stringify(keyPool[rand(keyPool.length)])}:${JSON.stringify(value)}`);
      }
      const labels = JSON.parse(`{${parts.join(',')}}`) as Record<string, string>;
      const want = own(labels);
      const got = sharer.share(labels);
      assert.deepStrictEqual(own(got), want, `map ${i}: {${parts.join(',')}}`);
      assert.equal(Object.getPrototypeOf(got), Object.prototype);
    }
  });
});
