import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeList, KubeObject, Status } from '../../src/core/index.js';
import { type Api, configMap, startTestServer, WatchStream } from '../apiserver/helpers.js';

describe('apiserver list and watch over HTTP', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer({ bookmarkIntervalMs: 100 }));
    await api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lw' } });
  });
  after(() => server.stop());

  it('paginates in namespace/name order with the first page revision, under concurrent writes, losing and duplicating nothing', async () => {
    await api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pages' } });
    const base = '/api/v1/namespaces/pages/configmaps';
    const names = Array.from({ length: 60 }, (_, i) => `cm-${String(i).padStart(3, '0')}`);
    for (const n of names) await api.post(base, configMap(n, { v: '0' }));
    const first = await api.get<KubeList>(`${base}?limit=7`);
    const listRv = first.body.metadata.resourceVersion;
    assert.equal(first.body.metadata.remainingItemCount, 53);
    const seen = first.body.items.map((i) => i.metadata.name);
    let token = first.body.metadata.continue;
    let round = 0;
    while (token) {
      // Concurrent writes between pages: deletes, updates, creates before and after the cursor.
      await api.delete(`${base}/${names[round]}`);
      await api.delete(`${base}/${names[59 - round]}`);
      await api.patch(`${base}/${names[30 + (round % 20)]}`, { data: { v: String(round + 1) } });
      await api.post(base, configMap(`cm-${String(round)}-new`));
      await api.post(base, configMap(`zz-${round}`));
      const page = await api.get<KubeList>(`${base}?limit=7&continue=${token}`);
      assert.equal(page.status, 200);
      assert.equal(page.body.metadata.resourceVersion, listRv, 'every page keeps the first page revision');
      for (const item of page.body.items) {
        seen.push(item.metadata.name);
        if (Number(item.metadata.resourceVersion) > Number(listRv)) assert.fail('an item newer than the list revision');
      }
      token = page.body.metadata.continue;
      round++;
    }
    assert.deepEqual(seen, names, 'the snapshot at the list revision, each item once, in order');
    assert.equal(first.body.items[0].apiVersion, undefined, 'built-in list items carry no apiVersion');
  });

  it('lists across namespaces, by label selector and by metadata field selectors', async () => {
    await api.post('/api/v1/namespaces/lw/configmaps', configMap('sel-a', {}, { app: 'a', tier: 'x' }));
    await api.post('/api/v1/namespaces/default/configmaps', configMap('sel-b', {}, { app: 'b' }));
    const all = await api.get<KubeList>(`/api/v1/configmaps?labelSelector=${encodeURIComponent('app in (a,b)')}`);
    assert.deepEqual(
      all.body.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`),
      ['default/sel-b', 'lw/sel-a'],
    );
    const notA = await api.get<KubeList>(`/api/v1/configmaps?labelSelector=${encodeURIComponent('app,app!=a')}`);
    assert.deepEqual(
      notA.body.items.map((i) => i.metadata.name),
      ['sel-b'],
    );
    const byName = await api.get<KubeList>('/api/v1/configmaps?fieldSelector=metadata.name%3Dsel-a');
    assert.deepEqual(
      byName.body.items.map((i) => i.metadata.name),
      ['sel-a'],
    );
    const byNs = await api.get<KubeList>(
      '/api/v1/configmaps?fieldSelector=metadata.namespace%3Dlw,metadata.name!%3Dnope',
    );
    assert.ok(byNs.body.items.every((i) => i.metadata.namespace === 'lw'));
    assert.equal(byNs.body.metadata.remainingItemCount, undefined);
    const missingNs = await api.get<KubeList>('/api/v1/namespaces/missing/configmaps');
    assert.equal(missingNs.status, 200);
    assert.deepEqual(missingNs.body.items, []);
  });

  it('watches from now: synthetic ADDED for current state, then changes; DELETED on delete', async () => {
    const w = await WatchStream.open(server, '/api/v1/namespaces/lw/configmaps?watch=true&labelSelector=w%3D1');
    await api.post('/api/v1/namespaces/lw/configmaps', configMap('w1', { a: '1' }, { w: '1' }));
    await api.patch('/api/v1/namespaces/lw/configmaps/w1', { data: { a: '2' } });
    await api.delete('/api/v1/namespaces/lw/configmaps/w1');
    const events = await w.take(3);
    w.close();
    assert.deepEqual(
      events.map((e) => e.type),
      ['ADDED', 'MODIFIED', 'DELETED'],
    );
    assert.equal(events[0].object.kind, 'ConfigMap');
    assert.ok(
      Number(events[2].object.metadata.resourceVersion) > Number(events[1].object.metadata.resourceVersion),
      'DELETED carries the revision of the delete',
    );
  });

  it('sends selector crossings as ADDED and DELETED', async () => {
    const base = '/api/v1/namespaces/lw/configmaps';
    await api.post(base, configMap('cross', {}, { color: 'red' }));
    const w = await WatchStream.open(server, `${base}?watch=1&labelSelector=color%3Dblue`);
    await api.patch(`${base}/cross`, { metadata: { labels: { color: 'blue' } } });
    await api.patch(`${base}/cross`, { data: { x: 'y' } });
    await api.patch(`${base}/cross`, { metadata: { labels: { color: 'green' } } });
    const events = await w.take(3);
    w.close();
    assert.deepEqual(
      events.map((e) => e.type),
      ['ADDED', 'MODIFIED', 'DELETED'],
    );
    assert.equal(events[2].object.metadata.labels?.color, 'blue', 'DELETED shows the last matching content');
  });

  it('resumes a watch from a resourceVersion with exactly the later events', async () => {
    const base = '/api/v1/namespaces/lw/configmaps';
    const created = await api.post(base, configMap('resume', { n: '0' }));
    const rv = created.body.metadata.resourceVersion;
    await api.patch(`${base}/resume`, { data: { n: '1' } });
    await api.patch(`${base}/resume`, { data: { n: '2' } });
    const w = await WatchStream.open(
      server,
      `${base}?watch=1&resourceVersion=${rv}&fieldSelector=metadata.name%3Dresume`,
    );
    const events = await w.take(2);
    await api.patch(`${base}/resume`, { data: { n: '3' } });
    const live = await w.take(1);
    w.close();
    assert.deepEqual(
      [...events, ...live].map((e) => (e.object as KubeObject & { data: { n: string } }).data.n),
      ['1', '2', '3'],
    );
  });

  it('answers a resume from before a compaction with one 410 ERROR event and closes; a continue token gets 410', async () => {
    const base = '/api/v1/namespaces/lw/configmaps';
    const created = await api.post(base, configMap('compacted'));
    const page = await api.get<KubeList>(`${base}?limit=1`);
    await api.patch(`${base}/compacted`, { data: { a: 'b' } });
    server.faults.compact();
    const w = await WatchStream.open(
      server,
      `${base}?watch=1&resourceVersion=${created.body.metadata.resourceVersion}`,
    );
    assert.equal(w.status, 200);
    const events = await w.take(1);
    assert.ok(await w.waitEnd());
    assert.equal(events.length, 1);
    assert.equal(events[0].type, 'ERROR');
    assert.equal(events[0].object.code, 410);
    assert.equal(events[0].object.reason, 'Expired');
    assert.match(String(events[0].object.message), /^too old resource version: \d+ \(\d+\)$/);
    const next = await api.get<Status>(`${base}?limit=1&continue=${page.body.metadata.continue}`);
    assert.equal(next.status, 410);
    assert.equal(next.body.reason, 'Expired');
  });

  it('expires history beyond historyLimit', async () => {
    const small = await startTestServer({ historyLimit: 3 });
    try {
      const base = '/api/v1/namespaces/default/configmaps';
      const first = await small.api.post(base, configMap('h'));
      for (let i = 0; i < 5; i++) await small.api.patch(`${base}/h`, { data: { i: String(i) } });
      const w = await WatchStream.open(
        small.server,
        `${base}?watch=1&resourceVersion=${first.body.metadata.resourceVersion}`,
      );
      const events = await w.take(1);
      assert.equal(events[0]?.type, 'ERROR');
      w.close();
    } finally {
      await small.server.stop();
    }
  });

  it('sends bookmarks when asked, and a last one before timeoutSeconds ends the stream', async () => {
    const w = await WatchStream.open(
      server,
      '/api/v1/namespaces/lw/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=1&labelSelector=none%3Dnone',
    );
    const events = await w.take(2, 3000);
    assert.ok(events.length >= 1);
    for (const e of events) {
      assert.equal(e.type, 'BOOKMARK');
      assert.equal(e.object.kind, 'ConfigMap');
      assert.match(String(e.object.metadata.resourceVersion), /^\d+$/);
    }
    assert.ok(await w.waitEnd(3000), 'timeoutSeconds closes the stream');
    const plain = await WatchStream.open(
      server,
      '/api/v1/namespaces/lw/configmaps?watch=1&timeoutSeconds=1&labelSelector=none%3Dnone',
    );
    assert.ok(await plain.waitEnd(3000));
    assert.deepEqual(await plain.take(0), [], 'no bookmarks unless asked');
  });

  it('streams a list (sendInitialEvents) then watches, with no gap and no duplicate under concurrent writes', async () => {
    await api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'stream' } });
    const base = '/api/v1/namespaces/stream/configmaps';
    for (let i = 0; i < 40; i++) await api.post(base, configMap(`s-${String(i).padStart(2, '0')}`, { v: '0' }));
    let writing = true;
    const writer = (async () => {
      let i = 0;
      while (writing) {
        const n = `s-${String(i % 40).padStart(2, '0')}`;
        if (i % 7 === 3) await api.delete(`${base}/${n}`);
        else if (i % 7 === 5) await api.post(base, configMap(n, { v: String(i) }));
        else await api.patch(`${base}/${n}`, { data: { v: String(i) } });
        i++;
      }
    })();
    const w = await WatchStream.open(
      server,
      `${base}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
    );
    const model = new Map<string, string>();
    let ended = false;
    let lastRv = 0;
    const deadline = Date.now() + 10_000;
    let afterEnd = 0;
    while (Date.now() < deadline && afterEnd < 30) {
      for (const e of await w.take(1, 2000)) {
        const name = e.object.metadata.name ?? '';
        const rv = Number(e.object.metadata.resourceVersion);
        if (e.type === 'BOOKMARK') {
          if (e.object.metadata.annotations?.['k8s.io/initial-events-end'] === 'true') {
            assert.ok(e.object.metadata.annotations['kubernetes.io/initial-events-list-blueprint']);
            ended = true;
            lastRv = rv;
          }
          continue;
        }
        if (!ended) {
          assert.equal(e.type, 'ADDED');
          assert.ok(!model.has(name), `duplicate initial event for ${name}`);
        } else {
          assert.ok(rv > lastRv, 'events after the initial state are newer, in order');
          lastRv = rv;
          afterEnd++;
        }
        if (e.type === 'DELETED') model.delete(name);
        else model.set(name, String(e.object.metadata.resourceVersion));
      }
    }
    writing = false;
    await writer;
    assert.ok(ended, 'the initial-events-end bookmark arrived');
    // Drain what the last writes produced, then compare with the server's state.
    const final = await api.get<KubeList>(base);
    const want = new Map(final.body.items.map((i) => [i.metadata.name ?? '', String(i.metadata.resourceVersion)]));
    const drainUntil = Date.now() + 5000;
    while (Date.now() < drainUntil && lastRv < Number(final.body.metadata.resourceVersion)) {
      const events = await w.take(1, 500);
      if (events.length === 0 && lastRv >= Number(final.body.metadata.resourceVersion)) break;
      for (const e of events) {
        if (e.type === 'BOOKMARK') continue;
        lastRv = Number(e.object.metadata.resourceVersion);
        if (e.type === 'DELETED') model.delete(e.object.metadata.name ?? '');
        else model.set(e.object.metadata.name ?? '', String(e.object.metadata.resourceVersion));
      }
    }
    w.close();
    assert.deepEqual(new Map([...model].sort()), new Map([...want].sort()));
  });

  it('checks streaming list options: 422 on a list and without NotOlderThan; without bookmarks it streams', async () => {
    const list = await api.get<Status>('/api/v1/configmaps?sendInitialEvents=true&resourceVersionMatch=NotOlderThan');
    assert.equal(list.status, 422);
    const noMatch = await api.get<Status>('/api/v1/configmaps?watch=1&sendInitialEvents=true&allowWatchBookmarks=true');
    assert.equal(noMatch.status, 422);
    // Bookmarks are not required (no such rule upstream): the initial state comes, without the
    // initial-events-end bookmark, and the stream goes on.
    const res = await fetch(
      `${server.url}/api/v1/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1`,
    );
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(text.length > 0);
    assert.ok(!text.includes('initial-events-end'), text);
  });
});
