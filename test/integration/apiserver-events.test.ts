import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeList, KubeObject } from '../../src/core/index.js';
import { type Api, startTestServer, WatchStream } from '../apiserver/helpers.js';

const CORE = '/api/v1/namespaces/default/events';
const NEW = '/apis/events.k8s.io/v1/namespaces/default/events';

type Ev = KubeObject & Record<string, unknown>;

describe('apiserver Events: core v1 and events.k8s.io/v1 are one store', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer());
  });
  after(() => server.stop());

  it('an events.k8s.io Event is readable as a core Event and back, and both watches see it', async () => {
    const coreWatch = await WatchStream.open(server, `${CORE}?watch=1`);
    const newWatch = await WatchStream.open(server, `${NEW}?watch=1`);
    const created = await api.post<Ev>(NEW, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e1' },
      eventTime: '2026-01-01T00:00:00.000000Z',
      reportingController: 'kloop.dev/test',
      reportingInstance: 'test-1',
      action: 'Reconcile',
      reason: 'Synced',
      regarding: { kind: 'ConfigMap', name: 'cm', namespace: 'default', apiVersion: 'v1' },
      note: 'all good',
      type: 'Normal',
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.apiVersion, 'events.k8s.io/v1');
    assert.equal(created.body.note, 'all good');
    const core = await api.get<Ev>(`${CORE}/e1`);
    assert.equal(core.body.apiVersion, 'v1');
    assert.equal(core.body.message, 'all good');
    assert.equal(core.body.reportingComponent, 'kloop.dev/test');
    assert.deepEqual(core.body.involvedObject, {
      kind: 'ConfigMap',
      name: 'cm',
      namespace: 'default',
      apiVersion: 'v1',
    });
    const patched = await api.patch<Ev>(`${NEW}/e1`, { note: 'changed' });
    assert.equal(patched.body.note, 'changed');
    assert.equal((await api.get<Ev>(`${CORE}/e1`)).body.message, 'changed');
    const list = await api.get<KubeList<Ev>>(NEW);
    assert.equal(list.body.kind, 'EventList');
    assert.equal(list.body.items[0].note, 'changed');
    const selected = await api.get<KubeList<Ev>>(`${CORE}?fieldSelector=involvedObject.name%3Dcm,reason%3DSynced`);
    assert.equal(selected.body.items.length, 1);
    const coreEvents = await coreWatch.take(2);
    const newEvents = await newWatch.take(2);
    coreWatch.close();
    newWatch.close();
    assert.equal(coreEvents[0].object.apiVersion, 'v1');
    assert.equal((coreEvents[1].object as Ev).message, 'changed');
    assert.equal(newEvents[0].object.apiVersion, 'events.k8s.io/v1');
    assert.equal((newEvents[1].object as Ev).note, 'changed');
  });
});
