import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appliedPaths, coversOwned, holdsApplied, ownedPaths } from '../../src/controller/apply-diff.js';
import type { KubeObject } from '../../src/core/types.js';

const live: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    namespace: 'ns',
    name: 'd',
    resourceVersion: '9',
    labels: { app: 'd', team: 'x' },
    managedFields: [
      {
        manager: 'me',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } } } },
          },
        },
      },
      { manager: 'other', operation: 'Update', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team': {} } } } },
    ],
  },
  spec: {
    replicas: 2,
    template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    strategy: { type: 'RollingUpdate' },
  },
};

const applied: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { namespace: 'ns', name: 'd', labels: { app: 'd' } },
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
};

describe('apply skipping', () => {
  it('holds an applied object that the live one contains, extra fields allowed', () => {
    assert.equal(holdsApplied(live, applied), true);
    assert.equal(holdsApplied(live, { ...applied, spec: { replicas: 3 } }), false);
    assert.equal(holdsApplied(live, { ...applied, metadata: { ...applied.metadata, labels: { app: 'e' } } }), false);
  });

  it('holds an applied list of objects whose live items carry server defaults', () => {
    // A real API server defaults container fields (imagePullPolicy, terminationMessagePath...):
    // the applied containers are then a member-wise subset of the live ones, and the apply
    // would change nothing.
    const defaulted = structuredClone(live);
    (defaulted.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers = [
      {
        name: 'web',
        image: 'nginx',
        imagePullPolicy: 'Always',
        terminationMessagePath: '/dev/termination-log',
        resources: {},
      },
    ];
    assert.equal(holdsApplied(defaulted, applied), true);
    const changed = structuredClone(applied);
    (
      changed.spec as { template: { spec: { containers: Array<{ image: string }> } } }
    ).template.spec.containers[0].image = 'httpd';
    assert.equal(holdsApplied(defaulted, changed), false, 'a changed member of an item');
    const more = structuredClone(applied);
    (more.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers.push({
      name: 'side',
      image: 'x',
    });
    assert.equal(holdsApplied(defaulted, more), false, 'an added item');
    const reordered = structuredClone(defaulted);
    const two = [
      { name: 'a', image: 'x' },
      { name: 'b', image: 'y' },
    ];
    (reordered.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers = [...two].reverse();
    const appliedTwo = structuredClone(applied);
    (appliedTwo.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers = two;
    assert.equal(holdsApplied(reordered, appliedTwo), false, 'another order');
    assert.equal(
      holdsApplied({ ...live, spec: { args: ['a', 'b'] } }, { ...applied, spec: { args: ['a'] } }),
      false,
      'scalar lists whole',
    );
  });

  it('reads the manager-owned paths from managedFields, cutting at list items', () => {
    assert.deepEqual([...ownedPaths(live, 'me')!].sort(), [
      'metadata.labels.app',
      'spec.replicas',
      'spec.template.spec.containers',
    ]);
    assert.deepEqual([...ownedPaths(live, 'nobody')!], []);
    assert.equal(ownedPaths({ ...live, metadata: { name: 'd' } }, 'me'), undefined);
  });

  it('covers owned paths only when the applied object still sets them', () => {
    const owned = ownedPaths(live, 'me')!;
    assert.equal(coversOwned(appliedPaths(applied), owned), true);
    const dropped: KubeObject = { ...applied, spec: { template: (applied.spec as { template: unknown }).template } };
    assert.equal(coversOwned(appliedPaths(dropped), owned), false, 'replicas would be removed by the server');
  });
});
