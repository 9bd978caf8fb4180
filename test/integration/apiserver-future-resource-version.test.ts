// A resourceVersion the emulator has not reached yet, answered as the real API server answers
// it: GET and LIST wait for the store to catch up (3 s, on the emulator's clock), then 504
// Timeout with cause ResourceVersionTooLarge; a WATCH is accepted and waits, hearing only what
// comes after that resourceVersion; Exact lists do not wait.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import {
  bootstrapNamespaces,
  Cluster,
  DEFAULT_MAX_BODY_BYTES,
  FaultSet,
  listen,
  RequestStats,
  ServedTypes,
  Storage,
  WatchHub,
} from '../../src/apiserver/internal.js';
import { ManualClock, type Status } from '../../src/core/index.js';
import { type Api, configMap, startTestServer, WatchStream } from '../apiserver/helpers.js';

const CM = '/api/v1/namespaces/default/configmaps';

/** The body upstream answers (apiserver storage/errors.go through apierrors.NewTimeoutError). */
function tooLargeBody(asked: number, current: number): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `Timeout: Too large resource version: ${asked}, current: ${current}`,
    reason: 'Timeout',
    details: {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    },
    code: 504,
  };
}

async function revision(api: Api): Promise<number> {
  const list = await api.get<{ metadata: { resourceVersion: string } }>(`${CM}?limit=1`);
  return Number(list.body.metadata.resourceVersion);
}

describe('a too-new resourceVersion over HTTP (short wait)', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer({ resourceVersionWaitMs: 30, bookmarkIntervalMs: 20 }));
  });
  after(() => server.stop());

  for (const [what, query] of [
    ['LIST', ''],
    ['LIST NotOlderThan', '&resourceVersionMatch=NotOlderThan'],
  ] as const) {
    it(`${what} answers the exact upstream 504 with Retry-After: 1 once the wait is over`, async () => {
      const current = await revision(api);
      const res = await api.get<Status>(`${CM}?resourceVersion=${current + 100}${query}`);
      assert.equal(res.status, 504);
      assert.equal(res.headers.get('retry-after'), '1');
      assert.deepEqual(res.body, tooLargeBody(current + 100, current));
    });
  }

  it('GET of an object answers the same 504', async () => {
    await api.post(CM, configMap('future-get'));
    const current = await revision(api);
    const res = await api.get<Status>(`${CM}/future-get?resourceVersion=${current + 7}`);
    assert.equal(res.status, 504);
    assert.deepEqual(res.body, tooLargeBody(current + 7, current));
    assert.equal((await api.get(`${CM}/future-get?resourceVersion=${current}`)).status, 200);
  });

  it('an Exact list of a future resourceVersion does not wait (1.33 sends it to etcd)', async () => {
    const current = await revision(api);
    const res = await api.get<Status>(`${CM}?resourceVersion=${current + 5}&resourceVersionMatch=Exact`);
    assert.equal(res.status, 504);
    assert.equal(res.body.details?.causes?.[0]?.reason, 'ResourceVersionTooLarge');
  });

  it('a WATCH from a future resourceVersion that never comes hears nothing, not even a bookmark', async () => {
    const current = await revision(api);
    const url = `${CM}?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=${current + 1000}`;
    const watch = await WatchStream.open(server, url);
    assert.equal(watch.status, 200);
    // Bookmarks every 20 ms and one as the timeout ends the stream: all below, so none is sent.
    assert.equal(await watch.waitEnd(), true);
    assert.deepEqual(await watch.take(1, 0), []);
  });

  it('a WATCH from a future resourceVersion is accepted and hears only what comes after it', async () => {
    const current = await revision(api);
    const from = current + 2;
    const watch = await WatchStream.open(server, `${CM}?watch=true&allowWatchBookmarks=true&resourceVersion=${from}`);
    try {
      assert.equal(watch.status, 200);
      // Bookmarks come every 20 ms, but none below the resourceVersion asked for.
      for (const name of ['w1', 'w2', 'w3', 'w4']) await api.post(CM, configMap(name));
      const seen: Array<{ type: string; rv: number; name?: string }> = [];
      while (!seen.some((e) => e.type === 'ADDED' && e.name === 'w4')) {
        const batch = await watch.take(1);
        assert.ok(batch.length > 0, `w4 arrives (saw ${JSON.stringify(seen)})`);
        for (const e of batch) {
          seen.push({ type: e.type, rv: Number(e.object.metadata.resourceVersion), name: e.object.metadata.name });
        }
      }
      assert.deepEqual(
        seen.filter((e) => e.type !== 'BOOKMARK').map((e) => e.name),
        ['w3', 'w4'],
        'the writes at or below the resourceVersion asked for are not sent',
      );
      for (const e of seen) assert.ok(e.rv >= from, `${e.type} at ${e.rv} is not below ${from}`);
    } finally {
      watch.close();
    }
  });
});

describe("the 3 s wait on the emulator's clock", () => {
  const clock = new ManualClock();
  let http: Server;
  let url: string;
  let storage: Storage;
  before(async () => {
    storage = new Storage(1000);
    const hub = new WatchHub();
    const faults = new FaultSet(hub, storage, Math.random);
    const cluster = new Cluster(
      storage,
      new ServedTypes(),
      hub,
      faults,
      Math.random,
      { absentOwnerGraceMs: 1000 },
      clock,
    );
    bootstrapNamespaces(cluster);
    const listening = await listen(
      cluster,
      { bookmarkIntervalMs: 60_000, maxBodyBytes: DEFAULT_MAX_BODY_BYTES, watchList: true },
      '127.0.0.1',
      0,
      new RequestStats(),
    );
    http = listening.server;
    url = `http://127.0.0.1:${listening.port}`;
  });
  after(async () => {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });

  /** Lets the request reach the server until it set its timer (no time passes). */
  async function waiting(): Promise<void> {
    for (let i = 0; i < 10_000 && clock.pendingTimers() === 0; i++) await new Promise((r) => setImmediate(r));
    assert.equal(clock.pendingTimers(), 1, 'the read is waiting');
  }

  const post = (name: string) =>
    fetch(`${url}${CM}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(configMap(name)),
    });

  it('a LIST waits 3000 ms for the revision, then answers 504 with the revision reached by then', async () => {
    const current = storage.revision;
    const reply = fetch(`${url}${CM}?resourceVersion=${current + 3}`);
    await waiting();
    assert.equal((clock.nextTimerAt() ?? 0) - clock.now(), 3000);
    assert.equal((await post('one')).status, 201);
    clock.advance(2999);
    assert.equal(clock.pendingTimers(), 1, 'one write short: still waiting');
    clock.advance(1);
    const res = await reply;
    assert.equal(res.status, 504);
    assert.deepEqual(await res.json(), tooLargeBody(current + 3, current + 1));
  });

  it('a LIST waiting for a revision is served as soon as a write reaches it', async () => {
    const current = storage.revision;
    const reply = fetch(`${url}${CM}?resourceVersion=${current + 2}`);
    await waiting();
    await post('two');
    await post('three');
    const res = await reply;
    assert.equal(res.status, 200);
    const list = (await res.json()) as {
      metadata: { resourceVersion: string };
      items: { metadata: { name: string } }[];
    };
    assert.equal(list.metadata.resourceVersion, String(current + 2));
    assert.ok(list.items.some((i) => i.metadata.name === 'three'));
    assert.equal(clock.pendingTimers(), 0, 'the timer is gone');
  });

  it('a GET served after the wait, and a client that gives up ends the wait', async () => {
    const current = storage.revision;
    const reply = fetch(`${url}${CM}/three?resourceVersion=${current + 1}`);
    await waiting();
    await post('four');
    assert.equal((await reply).status, 200);

    const gone = new AbortController();
    const abandoned = fetch(`${url}${CM}?resourceVersion=${current + 50}`, { signal: gone.signal }).catch(
      () => 'aborted',
    );
    await waiting();
    gone.abort();
    assert.equal(await abandoned, 'aborted');
    for (let i = 0; i < 10_000 && clock.pendingTimers() > 0; i++) await new Promise((r) => setImmediate(r));
    assert.equal(clock.pendingTimers(), 0, 'no timer left behind');
  });
});
