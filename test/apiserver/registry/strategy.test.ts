import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../../src/apiserver/errors/status-errors.js';
import {
  checkPrecondition,
  generateName,
  generationChanged,
  prepareCreate,
  prepareUpdate,
  startDeletion,
} from '../../../src/apiserver/registry/strategy.js';
import { customServedType, ServedTypes } from '../../../src/apiserver/served/served-types.js';
import type { KubeObject } from '../../../src/core/index.js';

const types = new ServedTypes();
const configMaps = types.byResource('', 'v1', 'configmaps')!;
const deployments = types.byResource('apps', 'v1', 'deployments')!;
const widgets = customServedType(
  {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    group: 'example.com',
    version: 'v1',
    plural: 'widgets',
    singular: 'widget',
    namespaced: true,
    subresources: ['status'],
    listKind: 'WidgetList',
  },
  { name: 'v1' },
);

function obj(extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'a', namespace: 'n', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z', resourceVersion: '5' },
    ...extra,
  };
}

describe('registry strategy rules', () => {
  it('generateName uses the real alphabet', () => {
    let i = 0;
    const seq = [0, 0.5, 0.999, 0.2, 0.7];
    assert.match(
      generateName('x-', () => seq[i++ % seq.length]),
      /^x-[bcdfghjklmnpqrstvwxz2456789]{5}$/,
    );
  });

  it('prepareCreate sets uid, timestamp, generation per type, and clears status under a status subresource', () => {
    const d: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {},
      status: { x: 1 },
    };
    prepareCreate(d, deployments, Math.random);
    assert.equal(d.metadata.generation, 1);
    assert.equal(d.status, undefined);
    const c: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', generation: 7 } };
    prepareCreate(c, configMaps, Math.random);
    assert.equal(c.metadata.generation, undefined);
    assert.ok(c.metadata.uid);
  });

  it('checkPrecondition: stale is 409, empty is fine for built-ins and 422 for custom resources', () => {
    const current = obj();
    assert.throws(
      () => checkPrecondition(obj({ metadata: { name: 'a', resourceVersion: '4' } }), current, configMaps),
      (e: unknown) => e instanceof StatusError && e.status.code === 409,
    );
    checkPrecondition(obj({ metadata: { name: 'a' } }), current, configMaps);
    assert.throws(
      () => checkPrecondition(obj({ metadata: { name: 'a' } }), current, widgets),
      (e: unknown) => e instanceof StatusError && e.status.code === 422,
    );
  });

  it('prepareUpdate keeps immutable metadata and refuses a changed uid', () => {
    const current = obj();
    const next = prepareUpdate(
      obj({ metadata: { name: 'a', resourceVersion: '5' }, data: { a: 'b' } }),
      current,
      configMaps,
      undefined,
    );
    assert.equal(next.metadata.uid, 'u1');
    assert.equal(next.metadata.creationTimestamp, '2026-01-01T00:00:00Z');
    assert.throws(
      () => prepareUpdate(obj({ metadata: { name: 'a', uid: 'other' } }), current, configMaps, undefined),
      (e: unknown) =>
        e instanceof StatusError && e.status.code === 422 && /field is immutable/.test(String(e.status.message)),
    );
  });

  it('generation: custom resources on anything but metadata and status; Deployment on spec and annotations', () => {
    const cur: KubeObject = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', generation: 1 },
      spec: { a: 1 },
    };
    assert.equal(generationChanged({ ...cur, spec: { a: 2 } }, cur, widgets), true);
    assert.equal(generationChanged({ ...cur, other: 1 }, cur, widgets), true);
    assert.equal(generationChanged({ ...cur, status: { ok: true } }, cur, widgets), false);
    assert.equal(generationChanged({ ...cur, metadata: { ...cur.metadata, labels: { a: 'b' } } }, cur, widgets), false);
    const dep: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', generation: 1 },
      spec: {},
    };
    assert.equal(
      generationChanged({ ...dep, metadata: { ...dep.metadata, annotations: { a: 'b' } } }, dep, deployments),
      true,
    );
    assert.equal(
      generationChanged({ ...dep, metadata: { ...dep.metadata, labels: { a: 'b' } } }, dep, deployments),
      false,
    );
  });

  it('startDeletion sets deletionTimestamp and grace 0 and bumps a tracked generation', () => {
    const d = startDeletion({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', generation: 3 } });
    assert.ok(d.metadata.deletionTimestamp);
    assert.equal(d.metadata.deletionGracePeriodSeconds, 0);
    assert.equal(d.metadata.generation, 4);
  });
});
