// Deep changed paths: named at a depth a person can act on, list elements by identity, bounded
// in count and depth, never a value.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changedFieldPaths, TRUNCATED_PATH } from '../../src/controller/index.js';
import { eventTrigger } from '../../src/controller/triggers.js';
import type { KubeObject } from '../../src/core/index.js';

const deployment = (
  replicas: number,
  image: string,
  ready: string,
  labels: Record<string, string> = { app: 'web' },
) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', resourceVersion: String(replicas), generation: replicas, labels },
  spec: {
    replicas,
    template: {
      spec: {
        containers: [
          { name: 'web', image },
          { name: 'sidecar', image: 'envoy' },
        ],
      },
    },
  },
  status: {
    conditions: [
      { type: 'Available', status: 'True' },
      { type: 'Ready', status: ready },
    ],
  },
});

describe('changedFieldPaths', () => {
  it('names spec.replicas, containers and conditions by identity, labels by key; skips bookkeeping', () => {
    assert.deepEqual(
      changedFieldPaths(deployment(1, 'nginx:1', 'False'), deployment(3, 'nginx:2', 'True', { app: 'web2' })),
      [
        'metadata.labels.app',
        'spec.replicas',
        'spec.template.spec.containers[web].image',
        'status.conditions[Ready].status',
      ],
    );
  });

  it('keys that are not identifiers are quoted; elements added and removed are named', () => {
    const before = { metadata: { labels: { 'app.kubernetes.io/name': 'a' } }, data: { 'config.yaml': 'x' } };
    const after = { metadata: { labels: { 'app.kubernetes.io/name': 'b' } }, data: { 'config.yaml': 'y', plain: 'z' } };
    assert.deepEqual(changedFieldPaths(before, after), [
      'metadata.labels["app.kubernetes.io/name"]',
      'data["config.yaml"]',
      'data.plain',
    ]);
    assert.deepEqual(
      changedFieldPaths(
        { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
        { status: { conditions: [{ type: 'Synced', status: 'True' }] } },
      ),
      ['status.conditions[Synced]', 'status.conditions[Ready]'],
    );
  });

  it('a map or list that appears whole names what it holds', () => {
    assert.deepEqual(changedFieldPaths({ metadata: {} }, { metadata: { labels: { app: 'x' } } }), [
      'metadata.labels.app',
    ]);
    assert.deepEqual(changedFieldPaths({}, { status: { conditions: [{ type: 'Ready', status: 'True' }] } }), [
      'status.conditions[Ready]',
    ]);
  });

  it('lists without identity: by index when the length is kept, else the list; scalar lists are one path', () => {
    assert.deepEqual(
      changedFieldPaths({ spec: { args: [{ v: 1 }, { v: 2 }] } }, { spec: { args: [{ v: 1 }, { v: 3 }] } }),
      ['spec.args[1].v'],
    );
    assert.deepEqual(changedFieldPaths({ spec: { args: [{ v: 1 }] } }, { spec: { args: [{ v: 1 }, { v: 2 }] } }), [
      'spec.args',
    ]);
    assert.deepEqual(changedFieldPaths({ metadata: { finalizers: ['a'] } }, { metadata: { finalizers: ['a', 'b'] } }), [
      'metadata.finalizers',
    ]);
  });

  it('null and absent are the same; equal objects report nothing; values never appear', () => {
    assert.deepEqual(changedFieldPaths({ spec: { x: null } }, { spec: {} }), []);
    assert.deepEqual(changedFieldPaths(deployment(1, 'a', 'True'), deployment(1, 'a', 'True')), []);
    const paths = changedFieldPaths({ data: { password: 'aHVudGVyMg==' } }, { data: { password: 'c2VjcmV0' } });
    assert.deepEqual(paths, ['data.password']);
    assert.ok(!paths.join().includes('aHVudGVyMg') && !paths.join().includes('c2VjcmV0'));
  });

  it('bounded: at most maxPaths then the marker; deeper than maxDepth reports the ancestor', () => {
    const many = (v: number) => ({ data: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, `${v}`])) });
    const paths = changedFieldPaths(many(1), many(2));
    assert.equal(paths.length, 17);
    assert.equal(paths.at(-1), TRUNCATED_PATH);
    assert.deepEqual(changedFieldPaths(many(1), many(2), { maxPaths: 2 }), ['data.k0', 'data.k1', TRUNCATED_PATH]);
    const deep = (v: number) => ({ spec: { a: { b: { c: { d: { e: { f: v } } } } } } });
    assert.deepEqual(changedFieldPaths(deep(1), deep(2)), ['spec.a.b.c.d.e']);
    assert.deepEqual(changedFieldPaths(deep(1), deep(2), { maxDepth: 3 }), ['spec.a.b']);
  });
});

describe('triggers carry the deep paths beside the top-level ones', () => {
  it('an update trigger has changed and changedPaths; others have neither', () => {
    const before = deployment(1, 'nginx:1', 'False') as unknown as KubeObject;
    const after = deployment(2, 'nginx:1', 'False') as unknown as KubeObject;
    const trigger = eventTrigger('for:apps/v1/Deployment', 'updated', after, before, undefined);
    assert.deepEqual(trigger.changed, ['metadata.generation', 'spec']);
    assert.deepEqual(trigger.changedPaths, ['spec.replicas']);
    // Computed once per update however many sources see it: equal, not shared.
    const again = eventTrigger('owns:apps/v1/Deployment', 'updated', after, before, undefined);
    assert.deepEqual(again.changedPaths, trigger.changedPaths);
    assert.notEqual(again.changedPaths, trigger.changedPaths);
    const added = eventTrigger('for:apps/v1/Deployment', 'added', after, undefined, undefined);
    assert.equal(added.changed, undefined);
    assert.equal(added.changedPaths, undefined);
  });
});
