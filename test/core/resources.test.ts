import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BUILTIN_RESOURCE_TYPES,
  ConfigMap,
  CustomResourceDefinition,
  Deployment,
  Event,
  EventsV1Event,
  Namespace,
  Pod,
  parseApiVersion,
  ResourceTypeRegistry,
  UnknownTypeError,
} from '../../src/core/resources.js';
import type { ResourceType } from '../../src/core/types.js';

describe('parseApiVersion', () => {
  it('splits group and version', () => {
    assert.deepEqual(parseApiVersion('v1'), { group: '', version: 'v1' });
    assert.deepEqual(parseApiVersion('apps/v1'), { group: 'apps', version: 'v1' });
    assert.deepEqual(parseApiVersion('events.k8s.io/v1'), { group: 'events.k8s.io', version: 'v1' });
  });
});

describe('BUILTIN_RESOURCE_TYPES', () => {
  const reg = new ResourceTypeRegistry();
  it('describes the built-ins as discovery does', () => {
    const dep = reg.requireByTypeRef(Deployment);
    assert.deepEqual(
      { ...dep },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        group: 'apps',
        version: 'v1',
        plural: 'deployments',
        singular: 'deployment',
        namespaced: true,
        subresources: ['status', 'scale'],
        shortNames: ['deploy'],
        categories: ['all'],
        listKind: 'DeploymentList',
      },
    );
    assert.equal(reg.requireByTypeRef(Namespace).namespaced, false);
    assert.deepEqual(reg.requireByTypeRef(CustomResourceDefinition).shortNames, ['crd', 'crds']);
    assert.deepEqual(reg.requireByTypeRef(ConfigMap).subresources, []);
    assert.deepEqual(reg.requireByTypeRef(Pod).subresources, ['status']);
  });
  it('has unique type refs and resource paths, and the short names kubectl knows', () => {
    const refs = new Set(BUILTIN_RESOURCE_TYPES.map((t) => `${t.apiVersion}/${t.kind}`));
    const paths = new Set(BUILTIN_RESOURCE_TYPES.map((t) => `${t.group}/${t.version}/${t.plural}`));
    assert.equal(refs.size, BUILTIN_RESOURCE_TYPES.length);
    assert.equal(paths.size, BUILTIN_RESOURCE_TYPES.length);
    const short = new Set(BUILTIN_RESOURCE_TYPES.flatMap((t) => t.shortNames ?? []));
    for (const s of [
      'cm',
      'ns',
      'po',
      'svc',
      'sa',
      'ev',
      'deploy',
      'rs',
      'sts',
      'ds',
      'crd',
      'crds',
      'no',
      'ep',
      'pvc',
      'cj',
    ])
      assert.ok(short.has(s), s);
  });
  it('knows both Event types as events in their groups', () => {
    assert.equal(reg.byResource('', 'v1', 'events')?.apiVersion, Event.apiVersion);
    assert.equal(reg.byResource('events.k8s.io', 'v1', 'events')?.apiVersion, EventsV1Event.apiVersion);
  });
});

describe('ResourceTypeRegistry', () => {
  const widget: ResourceType = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    group: 'example.com',
    version: 'v1',
    plural: 'widgets',
    singular: 'widget',
    namespaced: true,
    subresources: ['status'],
    listKind: 'WidgetList',
  };
  it('adds, looks up both ways, and removes', () => {
    const reg = new ResourceTypeRegistry([]);
    assert.equal(reg.all().length, 0);
    reg.add(widget);
    assert.equal(reg.byTypeRef({ apiVersion: 'example.com/v1', kind: 'Widget' }), widget);
    assert.equal(reg.byResource('example.com', 'v1', 'widgets'), widget);
    assert.equal(reg.remove({ apiVersion: 'example.com/v1', kind: 'Widget' }), true);
    assert.equal(reg.byResource('example.com', 'v1', 'widgets'), undefined);
    assert.equal(reg.remove(widget), false);
  });
  it('replacing a type drops its old resource path', () => {
    const reg = new ResourceTypeRegistry([widget]);
    reg.add({ ...widget, plural: 'gadgets' });
    assert.equal(reg.byResource('example.com', 'v1', 'widgets'), undefined);
    assert.equal(reg.byResource('example.com', 'v1', 'gadgets')?.kind, 'Widget');
    assert.equal(reg.all().length, 1);
  });
  it('require... throws KLOOP_UNKNOWN_TYPE', () => {
    const reg = new ResourceTypeRegistry();
    assert.throws(
      () => reg.requireByTypeRef({ apiVersion: 'x/v1', kind: 'Nope' }),
      (e: unknown) => e instanceof UnknownTypeError && e.code === 'KLOOP_UNKNOWN_TYPE',
    );
    assert.throws(() => reg.requireByResource('x', 'v1', 'nopes'), { code: 'KLOOP_UNKNOWN_TYPE' });
  });
});
