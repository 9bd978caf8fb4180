/**
 * Hostile connections: oversized headers, headers or a body trickled byte by byte, idle
 * keep-alive connections and garbage request lines get what kube-apiserver's Go server gives
 * them, and none can hold the server: `/healthz` answers while they are open. The timeouts are
 * Node's own socket timers on the wall clock, so the server runs with short ones (the
 * `connections` option) instead of the real 32 s, 60 s and 90 s.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import { configMap, startTestServer } from '../apiserver/helpers.js';

const HEADERS_TIMEOUT_MS = 150;
const REQUEST_TIMEOUT_MS = 300;
const IDLE_TIMEOUT_MS = 200;

/** A raw connection: what it received, and a promise for its close. */
interface Raw {
  socket: Socket;
  received(): string;
  closed: Promise<void>;
}

function open(server: ApiServer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    const parts: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => parts.push(chunk));
    socket.on('error', () => {});
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(parts).toString('latin1'), closed }));
    socket.once('error', reject);
  });
}

/** Writes a byte at a time every `everyMs` until the socket closes. */
function trickle(raw: Raw, everyMs: number): void {
  const timer = setInterval(() => {
    if (!raw.socket.destroyed) raw.socket.write('a');
  }, everyMs);
  raw.socket.once('close', () => clearInterval(timer));
}

/**
 * A request on a connection of its own: with timeouts this short, a pooled keep-alive connection
 * could be closed as idle just as a pooled client picks it up.
 */
function fresh(
  server: ApiServer,
  method: string,
  path: string,
  body?: unknown,
  onData?: (text: string) => void,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${server.url}${path}`,
      { method, agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          onData?.(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('apiserver hostile connections: Go server limits and answers', () => {
  let server: ApiServer;

  const healthy = async (): Promise<void> => {
    assert.deepEqual(await fresh(server, 'GET', '/healthz'), { status: 200, text: 'ok' });
  };

  before(async () => {
    ({ server } = await startTestServer({
      connections: {
        headersTimeoutMs: HEADERS_TIMEOUT_MS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        idleTimeoutMs: IDLE_TIMEOUT_MS,
      },
    }));
    const kept = await fresh(server, 'POST', '/api/v1/namespaces/default/configmaps', configMap('keep', { k: 'v' }));
    assert.equal(kept.status, 201);
  });

  after(async () => {
    const kept = await fresh(server, 'GET', '/api/v1/namespaces/default/configmaps/keep');
    assert.deepEqual(JSON.parse(kept.text).data, { k: 'v' });
    await server.stop();
  });

  it('accepts headers up to 1 MiB and answers more with Go plain-text 431', async () => {
    const fits = await open(server);
    fits.socket.write(
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(1024 * 1024 - 1024)}\r\nConnection: close\r\n\r\n`,
    );
    await fits.closed;
    assert.match(fits.received(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);

    const big = await open(server);
    big.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(1024 * 1024 + 8192)}\r\n\r\n`);
    await big.closed;
    assert.equal(
      big.received(),
      'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large',
    );
    await healthy();
  });

  it('allows any number of headers, as Go does (Node would keep only 2000)', async () => {
    const raw = await open(server);
    const headers = Array.from({ length: 2500 }, (_, i) => `X-H${i}: v\r\n`).join('');
    raw.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`);
    await raw.closed;
    assert.match(raw.received(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
  });

  it('hangs up on headers trickled past the header timeout, without an answer', async () => {
    const raw = await open(server);
    raw.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    trickle(raw, 20);
    // The server answers others while the trickle goes on.
    await healthy();
    await raw.closed;
    assert.equal(raw.received(), '');
  });

  it('answers a body trickled past the request timeout with the 504 Timeout Status and closes', async () => {
    const raw = await open(server);
    raw.socket.write(
      'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
    );
    trickle(raw, 20);
    await healthy();
    await raw.closed;
    const [head, body] = raw.received().split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 504 Gateway Timeout\r\n/);
    assert.match(head, /\r\nConnection: close/i);
    assert.deepEqual(JSON.parse(body), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Timeout: request did not complete within the allotted timeout',
      reason: 'Timeout',
      details: {},
      code: 504,
    });
    assert.equal((await fresh(server, 'GET', '/api/v1/namespaces/default/configmaps')).status, 200);
  });

  it('closes an idle keep-alive connection after the idle timeout', async () => {
    const raw = await open(server);
    raw.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await raw.closed;
    assert.match(raw.received(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
  });

  it('answers a garbage request line with Go plain-text 400', async () => {
    const raw = await open(server);
    raw.socket.write('NOT A REQUEST\r\n\r\n');
    await raw.closed;
    assert.equal(
      raw.received(),
      'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request',
    );
  });

  it('never cuts a watch: the request timeout covers receiving the request only', async () => {
    const names: string[] = [];
    let seen: (() => void) | undefined;
    const raw = await open(server);
    raw.socket.on('data', (chunk: Buffer) => {
      for (const m of chunk.toString('latin1').matchAll(/"name":"([a-z]+)"/g)) names.push(m[1] as string);
      if (names.includes('later')) seen?.();
    });
    raw.socket.write('GET /api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0 HTTP/1.1\r\nHost: x\r\n\r\n');
    // Longer than every connection timeout of this server, then an event still arrives.
    await new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS + IDLE_TIMEOUT_MS + HEADERS_TIMEOUT_MS));
    const arrived = new Promise<void>((resolve) => {
      seen = resolve;
    });
    const later = await fresh(server, 'POST', '/api/v1/namespaces/default/configmaps', configMap('later'));
    assert.equal(later.status, 201);
    await arrived;
    assert.deepEqual(names, ['keep', 'later']);
    assert.equal(raw.socket.destroyed, false);
    raw.socket.destroy();
  });
});
