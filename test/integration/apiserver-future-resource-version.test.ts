// A resourceVersion the emulator has not reached yet, answered as the real API server answers
// it: GET and LIST wait for the store to catch up (3 s, on the emulator's clock), then 504
// Timeout with cause ResourceVersionTooLarge; a WATCH is accepted and waits, hearing only what
// comes after that resourceVersion (a streaming list waits like a LIST, then sends the 504 as an
// ERROR event); lists 1.33 sends to etcd (Exact, a limit without a match, a
// continue page) do not wait: etcd refuses a future revision, a 500. A resourceVersion that is not a
// uint64 gets upstream's parse errors (500 from the watch cache, 400 from etcd, 422 on a watch).
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

  it('an Exact list of a future resourceVersion does not wait (1.33 sends it to etcd): a 500', async () => {
    const current = await revision(api);
    const res = await api.get<Status>(`${CM}?resourceVersion=${current + 5}&resourceVersionMatch=Exact`);
    assert.equal(res.status, 500);
    assert.equal(res.body.message, 'etcdserver: mvcc: required revision is a future revision');
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

describe('a resourceVersion that is not a uint64, as upstream parses it (strconv.ParseUint)', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer({ resourceVersionWaitMs: 30 }));
    await api.post(CM, configMap('parsed'));
  });
  after(() => server.stop());

  const parseError = (text: string, why = 'invalid syntax') =>
    `resourceVersion: Invalid value: ${JSON.stringify(text)}: strconv.ParseUint: parsing ${JSON.stringify(text)}: ${why}`;
  /** A storage error that is no API status: 500 with no reason (apiserver's ErrorToAPIStatus). */
  const internal = (message: string): Status => ({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    code: 500,
  });

  for (const text of ['abc', '-1', '+7', '1.5', ' 7']) {
    it(`GET and LIST (the watch cache) at ${JSON.stringify(text)}: 500, the parse error as the message`, async () => {
      const q = encodeURIComponent(text);
      const get = await api.get<Status>(`${CM}/parsed?resourceVersion=${q}`);
      assert.equal(get.status, 500);
      assert.deepEqual(get.body, internal(parseError(text)));
      const list = await api.get<Status>(`${CM}?resourceVersion=${q}`);
      assert.equal(list.status, 500);
      assert.deepEqual(list.body, internal(parseError(text)));
    });
  }

  it('beyond uint64: out of range, not a number rounded to 1e+20', async () => {
    const text = '99999999999999999999';
    const list = await api.get<Status>(`${CM}?resourceVersion=${text}`);
    assert.equal(list.status, 500);
    assert.deepEqual(list.body, internal(parseError(text, 'value out of range')));
  });

  it('the largest uint64 is a resourceVersion not reached: its digits exactly in the 504', async () => {
    const current = await revision(api);
    const res = await api.get<Status>(`${CM}?resourceVersion=18446744073709551615`);
    assert.equal(res.status, 504);
    assert.equal(res.body.message, `Timeout: Too large resource version: 18446744073709551615, current: ${current}`);
    const padded = await api.get<Status>(`${CM}?resourceVersion=00${current + 40}`);
    assert.equal(padded.body.message, `Timeout: Too large resource version: ${current + 40}, current: ${current}`);
  });

  it('a LIST that goes to etcd (a limit, Exact) answers 400 BadRequest', async () => {
    for (const query of ['resourceVersion=abc&limit=5', 'resourceVersion=abc&resourceVersionMatch=Exact']) {
      const res = await api.get<Status>(`${CM}?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.reason, 'BadRequest');
      assert.equal(res.body.message, `invalid resource version: ${parseError('abc')}`);
    }
  });

  it('a WATCH answers 422 Invalid, the collection named ""', async () => {
    const res = await api.get<Status>(`${CM}?watch=true&resourceVersion=abc`);
    assert.equal(res.status, 422);
    assert.deepEqual(res.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `configmaps "" is invalid: ${parseError('abc')}`,
      reason: 'Invalid',
      details: {
        kind: 'configmaps',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax',
            field: 'resourceVersion',
          },
        ],
      },
      code: 422,
    });
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

  /** etcd's ErrFutureRev, passed through as no API status: 500 without a reason. */
  const futureRevision = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'etcdserver: mvcc: required revision is a future revision',
    code: 500,
  };

  for (const [what, query] of [
    ['an Exact list', '&resourceVersionMatch=Exact'],
    ['a list with a limit and no match (the legacy exact read)', '&limit=2'],
  ] as const) {
    it(`${what} goes to etcd in 1.33: no wait, etcd's future-revision error as a 500`, async () => {
      const current = storage.revision;
      const res = await fetch(`${url}${CM}?resourceVersion=${current + 4}${query}`);
      assert.equal(clock.pendingTimers(), 0, 'nothing waited');
      // etcd3 store's GetList reads at that revision (clientv3.WithRev): etcd answers ErrFutureRev,
      // which interpretListError passes on; no 504, no Retry-After.
      assert.equal(res.status, 500);
      assert.equal(res.headers.get('retry-after'), null);
      assert.deepEqual(await res.json(), futureRevision);
    });
  }

  it('a continue token from a later revision (a server restarted mid-list): the same 500', async () => {
    await post('paged-1');
    await post('paged-2');
    const first = (await (await fetch(`${url}${CM}?limit=1`)).json()) as { metadata: { continue: string } };
    const token = JSON.parse(Buffer.from(first.metadata.continue, 'base64url').toString()) as { rv: number };
    const ahead = Buffer.from(JSON.stringify({ ...token, rv: storage.revision + 10 })).toString('base64url');
    const res = await fetch(`${url}${CM}?limit=1&continue=${encodeURIComponent(ahead)}`);
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), futureRevision);
  });

  const streamingFrom = (rv: number) =>
    `${url}${CM}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=${rv}`;

  it('a streaming list from a revision not reached waits for it, then sends a state not older than it', async () => {
    const current = storage.revision;
    const gone = new AbortController();
    const reply = fetch(streamingFrom(current + 2), { signal: gone.signal });
    await waiting();
    await post('stream-1');
    assert.equal(clock.pendingTimers(), 1, 'one write short: still waiting');
    await post('stream-2');
    const res = await reply;
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('"BOOKMARK"')) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream reaches its initial-events-end bookmark');
      text += Buffer.from(value).toString();
    }
    gone.abort();
    for (let i = 0; i < 10_000 && clock.pendingTimers() > 0; i++) await new Promise((r) => setImmediate(r));
    assert.equal(clock.pendingTimers(), 0, 'the closed watch left no timer');
    const events = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name?: string; resourceVersion: string } } });
    assert.ok(events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'stream-2'));
    const bookmark = events[events.length - 1];
    assert.equal(bookmark.type, 'BOOKMARK');
    assert.ok(Number(bookmark.object.metadata.resourceVersion) >= current + 2, 'not older than asked');
  });

  it('a streaming list from a revision not reached in 3 s: 200, then the 504 as its one ERROR event', async () => {
    const current = storage.revision;
    const reply = fetch(streamingFrom(current + 5));
    await waiting();
    assert.equal((clock.nextTimerAt() ?? 0) - clock.now(), 3000);
    clock.advance(3000);
    const res = await reply;
    assert.equal(res.status, 200);
    const lines = (await res.text()).trim().split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      [{ type: 'ERROR', object: tooLargeBody(current + 5, current) }],
    );
  });

  it('a client that gives up on a waiting streaming list ends the wait', async () => {
    const gone = new AbortController();
    const abandoned = fetch(streamingFrom(storage.revision + 9), { signal: gone.signal }).catch(() => 'aborted');
    await waiting();
    gone.abort();
    assert.equal(await abandoned, 'aborted');
    for (let i = 0; i < 10_000 && clock.pendingTimers() > 0; i++) await new Promise((r) => setImmediate(r));
    assert.equal(clock.pendingTimers(), 0, 'no timer left behind');
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
