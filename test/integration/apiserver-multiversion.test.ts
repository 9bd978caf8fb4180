// A resource with several versions, installed with startApiServer({ resources }): every version is
// served, objects are stored in the storage version and converted with the resource's converters
// on every read, write, list and watch; validation and printer columns are the request version's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectTypeOf } from 'expect-type';
import type { ApiServer } from '../../src/apiserver/index.js';
import { defineResource, KubeClient, type KubeObject, type Status, Type } from '../../src/index.js';
import { type Api, startTestServer, WatchStream } from '../apiserver/helpers.js';

const SpecV1 = Type.Object({ replicas: Type.Integer({ maximum: 10 }), owner: Type.Optional(Type.String()) });
const SpecV2 = Type.Object({
  scale: Type.Object({ replicas: Type.Integer({ maximum: 10 }), zone: Type.String({ default: 'zone-a' }) }),
  owner: Type.Optional(Type.String()),
});
const Status2 = Type.Object({ ready: Type.Optional(Type.Integer()) });

/** Widget: v1 (deprecated, flat replicas), v1beta2 (v2's schema, no converter needed), v2 (storage). */
const Widget = defineResource({
  group: 'multi.kloop.dev',
  kind: 'Widget',
  storage: 'v2',
  versions: {
    v1: {
      spec: SpecV1,
      status: Status2,
      deprecated: true,
      printerColumns: [{ name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' }],
    },
    v1beta2: { spec: SpecV2, status: Status2 },
    v2: {
      spec: SpecV2,
      status: Status2,
      printerColumns: [
        { name: 'Replicas', type: 'integer', jsonPath: '.spec.scale.replicas' },
        { name: 'Zone', type: 'string', jsonPath: '.spec.scale.zone' },
      ],
    },
  },
  conversion: {
    v1: {
      // The zone is left out on purpose: the storage version's default fills it.
      toStorage: (o) => ({
        ...o,
        metadata: { ...o.metadata, labels: { ...o.metadata.labels, converted: 'true' }, uid: 'forged' },
        spec: { scale: { replicas: o.spec.replicas } as { replicas: number; zone: string }, owner: o.spec.owner },
      }),
      fromStorage: (o) => {
        if (o.spec.owner === 'explode') throw new Error('cannot show exploding widgets in v1');
        return { ...o, spec: { replicas: o.spec.scale.replicas, owner: o.spec.owner } };
      },
    },
  },
});

const V1 = '/apis/multi.kloop.dev/v1/namespaces/default/widgets';
const V2 = '/apis/multi.kloop.dev/v2/namespaces/default/widgets';
const V1BETA2 = '/apis/multi.kloop.dev/v1beta2/namespaces/default/widgets';
type Obj = KubeObject & { spec: Record<string, unknown>; status?: Record<string, unknown> };

function v1(name: string, replicas: number, owner?: string): Obj {
  return {
    apiVersion: 'multi.kloop.dev/v1',
    kind: 'Widget',
    metadata: { name },
    spec: { replicas, ...(owner ? { owner } : {}) },
  };
}

describe('a multi-version resource served in-process', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer({ resources: [Widget] }));
  });
  after(() => server.stop());

  it('installs the generated CRD (conversion None) and serves every version, the storage one preferred', async () => {
    const crd = await api.get<{ spec: { conversion: unknown; versions: { name: string; storage: boolean }[] } }>(
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.multi.kloop.dev',
    );
    assert.equal(crd.status, 200);
    assert.deepEqual(crd.body.spec.conversion, { strategy: 'None' });
    assert.deepEqual(Widget.crd().spec.conversion, { strategy: 'None' });
    const group = await api.get<{ versions: { version: string }[]; preferredVersion: { version: string } }>(
      '/apis/multi.kloop.dev',
    );
    assert.deepEqual(
      group.body.versions.map((v) => v.version),
      ['v2', 'v1', 'v1beta2'],
    );
    assert.equal(group.body.preferredVersion.version, 'v2');
  });

  it('writes in one version, reads in every other; the storage defaults apply; converters keep metadata', async () => {
    const created = await api.post<Obj>(V1, v1('a', 3));
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.apiVersion, 'multi.kloop.dev/v1');
    assert.deepEqual(created.body.spec, { replicas: 3 });
    assert.equal(created.body.metadata.labels?.converted, 'true', 'labels may change in conversion');
    assert.notEqual(created.body.metadata.uid, 'forged', 'other metadata may not');
    const asV2 = await api.get<Obj>(`${V2}/a`);
    assert.equal(asV2.body.apiVersion, 'multi.kloop.dev/v2');
    assert.deepEqual(asV2.body.spec, { scale: { replicas: 3, zone: 'zone-a' } });
    const asBeta = await api.get<Obj>(`${V1BETA2}/a`);
    assert.deepEqual(asBeta.body.spec, asV2.body.spec, 'same schema as the storage version: only apiVersion changes');
    assert.equal(asBeta.body.apiVersion, 'multi.kloop.dev/v1beta2');
    const listV1 = await api.get<{ items: Obj[] }>(V1);
    assert.deepEqual(
      listV1.body.items.map((i) => [i.apiVersion, i.spec]),
      [['multi.kloop.dev/v1', { replicas: 3 }]],
    );
  });

  it('every request to the deprecated version carries its Warning', async () => {
    const reply = await api.get(`${V1}/a`);
    assert.equal(
      reply.headers.get('warning'),
      '299 - "multi.kloop.dev/v1 Widget is deprecated; use multi.kloop.dev/v2 Widget"',
    );
    assert.equal((await api.get(`${V2}/a`)).headers.get('warning'), null);
  });

  it('validates in the request version, with its paths', async () => {
    const viaV1 = await api.post<Status>(V1, v1('big', 11));
    assert.equal(viaV1.status, 422);
    assert.equal(
      viaV1.body.message,
      'Widget.multi.kloop.dev "big" is invalid: spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10',
    );
    const viaV2 = await api.patch<Status>(`${V2}/a`, { spec: { scale: { replicas: 12 } } });
    assert.equal(viaV2.status, 422);
    assert.equal(
      viaV2.body.message,
      'Widget.multi.kloop.dev "a" is invalid: spec.scale.replicas: Invalid value: 12: spec.scale.replicas in body should be less than or equal to 10',
    );
  });

  it('patches, applies and updates status through a non-storage version', async () => {
    const patched = await api.patch<Obj>(`${V1}/a`, { spec: { replicas: 5 } });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.body.spec, { replicas: 5 });
    assert.deepEqual((await api.get<Obj>(`${V2}/a`)).body.spec, { scale: { replicas: 5, zone: 'zone-a' } });
    const applied = await api.patch<Obj>(
      `${V1}/applied?fieldManager=test`,
      JSON.stringify(v1('applied', 2)),
      'application/apply-patch+yaml',
    );
    assert.equal(applied.status, 201, applied.text);
    assert.deepEqual(applied.body.spec, { replicas: 2 });
    const status = await api.patch<Obj>(`${V1}/a/status`, { status: { ready: 4 } });
    assert.equal(status.status, 200, status.text);
    assert.deepEqual((await api.get<Obj>(`${V2}/a`)).body.status, { ready: 4 });
  });

  it('watches in one version see writes made through another, converted', async () => {
    const watch = await WatchStream.open(server, `${V1}?watch=1&fieldSelector=metadata.name%3Dw`);
    try {
      const body = {
        apiVersion: 'multi.kloop.dev/v2',
        kind: 'Widget',
        metadata: { name: 'w' },
        spec: { scale: { replicas: 7 } },
      };
      assert.equal((await api.post(V2, body)).status, 201);
      const [event] = await watch.take(1);
      assert.equal(event?.type, 'ADDED');
      assert.equal(event?.object.apiVersion, 'multi.kloop.dev/v1');
      assert.deepEqual((event?.object as Obj | undefined)?.spec, { replicas: 7 });
    } finally {
      watch.close();
    }
  });

  it("prints each version's columns from the object in that version", async () => {
    const table = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    const t1 = await api.request<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>(
      'GET',
      `${V1}/a`,
      undefined,
      'application/json',
      { accept: table },
    );
    assert.deepEqual(
      t1.body.columnDefinitions.map((c) => c.name),
      ['Name', 'Replicas'],
    );
    assert.deepEqual(t1.body.rows[0]!.cells, ['a', 5]);
    const t2 = await api.request<{ rows: { cells: unknown[] }[] }>('GET', `${V2}/a`, undefined, 'application/json', {
      accept: table,
    });
    assert.deepEqual(t2.body.rows[0]!.cells, ['a', 5, 'zone-a']);
  });

  it('a converter that throws is a 500 naming the conversion (an ERROR event on a watch)', async () => {
    const watch = await WatchStream.open(server, `${V1}?watch=1&fieldSelector=metadata.name%3Dx`);
    const body = {
      apiVersion: 'multi.kloop.dev/v2',
      kind: 'Widget',
      metadata: { name: 'x' },
      spec: { scale: { replicas: 1 }, owner: 'explode' },
    };
    assert.equal((await api.post(V2, body)).status, 201);
    const [event] = await watch.take(1);
    watch.close();
    assert.equal(event?.type, 'ERROR');
    assert.equal(event?.object.code, 500);
    const read = await api.get<Status>(`${V1}/x`);
    assert.equal(read.status, 500);
    assert.equal(
      read.body.message,
      'Internal error occurred: conversion of multi.kloop.dev/v2, Kind=Widget to multi.kloop.dev/v1 failed: cannot show exploding widgets in v1',
    );
  });

  it('a typed client reads each version as its own type', async () => {
    const client = KubeClient.fromKubeconfig(server.kubeconfig);
    try {
      const one = await client.get(Widget.versions.v1, { namespace: 'default', name: 'a' });
      expectTypeOf(one.spec.replicas).toEqualTypeOf<number>();
      assert.equal(one.spec.replicas, 5);
      const two = await client.get(Widget, { namespace: 'default', name: 'a' });
      expectTypeOf(two.spec.scale.zone).toEqualTypeOf<string>();
      assert.equal(two.spec.scale.zone, 'zone-a');
    } finally {
      client.close();
    }
  });
});
