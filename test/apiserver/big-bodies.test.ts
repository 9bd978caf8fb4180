/**
 * Big lists are written in chunks as the socket drains, and a big initial state of a watch is
 * pumped the same way with live events held back until it is out: the bodies must be exactly
 * what the one-string path produced, and the order of events must not change.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';

const N = 2600;

function get(url: string): Promise<{ headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function post(server: ApiServer, name: string): Promise<void> {
  const res = await fetch(`${server.url}/api/v1/namespaces/big/configmaps`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'x'.repeat(2000) } }),
  });
  assert.equal(res.status, 201, await res.text());
}

interface WatchEvent {
  type: string;
  object: { metadata: Record<string, unknown> };
}

/**
 * Reads watch lines until `stop` says so; returns them parsed. On the first chunk it stops
 * reading until `onFirst` resolved, so the server is still writing the initial state then.
 */
function watchLines(url: string, onFirst: () => Promise<void>, stop: (events: WatchEvent[]) => boolean) {
  return new Promise<WatchEvent[]>((resolve, reject) => {
    const events: WatchEvent[] = [];
    let tail = '';
    let first = true;
    const req = http.get(url, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (first) {
          first = false;
          res.pause();
          onFirst().then(() => res.resume(), reject);
        }
        const text = tail + chunk;
        const lines = text.split('\n');
        tail = lines.pop() ?? '';
        for (const line of lines) if (line) events.push(JSON.parse(line));
        if (stop(events)) {
          req.destroy();
          resolve(events);
        }
      });
      res.on('end', () => resolve(events));
    });
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
  });
}

describe('big bodies', () => {
  let server: ApiServer;
  before(async () => {
    server = await startApiServer({ port: 0 });
    const ns = await fetch(`${server.url}/api/v1/namespaces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'big' } }),
    });
    assert.equal(ns.status, 201);
    let next = 0;
    const worker = async () => {
      while (next < N) await post(server, `cm-${String(next++).padStart(5, '0')}`);
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  });
  after(() => server.stop());

  it('streams a big list in chunks, same JSON as a small one', async () => {
    const { headers, body } = await get(`${server.url}/api/v1/namespaces/big/configmaps`);
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(headers['content-length'], undefined);
    const list = JSON.parse(body) as { kind: string; items: Array<{ metadata: { name: string } }> };
    assert.equal(list.kind, 'ConfigMapList');
    assert.equal(list.items.length, N);
    assert.deepEqual(Object.keys(list.items[0]).sort(), ['data', 'metadata']);
    const names = list.items.map((i) => i.metadata.name);
    assert.deepEqual(names, [...names].sort());
    // A page through the one-string path agrees with the chunked body item for item.
    const page = await get(`${server.url}/api/v1/namespaces/big/configmaps?limit=700`);
    assert.ok(page.headers['content-length']);
    const first = JSON.parse(page.body) as { items: unknown[]; metadata: { remainingItemCount: number } };
    assert.deepEqual(first.items, list.items.slice(0, 700));
    assert.equal(first.metadata.remainingItemCount, N - 700);
  });

  it('pumps a big initial state, then the end bookmark, then live events in order', async () => {
    const url = `${server.url}/api/v1/namespaces/big/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`;
    const isEnd = (e: WatchEvent) =>
      e.type === 'BOOKMARK' &&
      (e.object.metadata.annotations as Record<string, string> | undefined)?.['k8s.io/initial-events-end'] === 'true';
    // Created while the initial state is still in flight (the reader paused after its first
    // chunk): it must come after the bookmark.
    const events = await watchLines(
      url,
      () => post(server, 'late'),
      (events) => events.some((e) => e.object.metadata.name === 'late'),
    );
    const end = events.findIndex(isEnd);
    assert.equal(end, N);
    assert.ok(events.slice(0, N).every((e) => e.type === 'ADDED'));
    const names = events.slice(0, N).map((e) => String(e.object.metadata.name));
    assert.deepEqual(names, [...names].sort());
    assert.equal(new Set(names).size, N);
    const late = events.findIndex((e) => e.object.metadata.name === 'late');
    assert.ok(late > end, `late event at ${late}, bookmark at ${end}`);
    assert.equal(events[late].type, 'ADDED');
  });
});
