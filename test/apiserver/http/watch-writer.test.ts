import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CHUNK_BYTES, type WatchResponse, WatchWriter } from '../../../src/apiserver/http/watch-writer.js';

/** A response that records its writes and says "wait" once `capacity` chunks are pending. */
class FakeResponse extends EventEmitter implements WatchResponse {
  readonly writes: string[] = [];
  ended: string | undefined;
  destroyed = false;
  pending = 0;
  constructor(private readonly capacity = Number.POSITIVE_INFINITY) {
    super();
  }
  write(chunk: string): boolean {
    this.writes.push(chunk);
    this.pending++;
    return this.pending < this.capacity;
  }
  end(chunk?: string): void {
    this.ended = chunk ?? '';
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** The socket took everything. */
  drain(): void {
    this.pending = 0;
    this.emit('drain');
  }
  get text(): string {
    return this.writes.join('') + (this.ended ?? '');
  }
}

const tick = () => new Promise<void>((r) => setImmediate(r));
const noOverflow = () => assert.fail('no overflow expected');

describe('WatchWriter', () => {
  it('writes the lines of one tick as one chunk', async () => {
    const res = new FakeResponse();
    const w = new WatchWriter(res, noOverflow);
    w.write('a\n');
    w.write('b\n');
    w.write('c\n');
    assert.equal(res.writes.length, 0);
    await tick();
    assert.deepEqual(res.writes, ['a\nb\nc\n']);
    w.write('d\n');
    await tick();
    assert.deepEqual(res.writes, ['a\nb\nc\n', 'd\n']);
  });

  it('flushes at once when a chunk reaches the size threshold', () => {
    const res = new FakeResponse();
    const w = new WatchWriter(res, noOverflow);
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < CHUNK_BYTES / 1024; i++) w.write(line);
    assert.equal(res.writes.length, 1);
    assert.equal(res.writes[0].length, CHUNK_BYTES);
  });

  it('keeps lines while the socket drains and sends them in order on drain', async () => {
    const res = new FakeResponse(1);
    const w = new WatchWriter(res, noOverflow);
    w.write('1\n');
    await tick();
    assert.deepEqual(res.writes, ['1\n']);
    w.write('2\n');
    w.write('3\n');
    await tick();
    assert.equal(res.writes.length, 1, 'nothing is written before drain');
    res.drain();
    assert.deepEqual(res.writes, ['1\n', '2\n3\n']);
  });

  it('ends the stream after what is queued, even while draining', async () => {
    const res = new FakeResponse(1);
    const w = new WatchWriter(res, noOverflow);
    w.write('1\n');
    await tick();
    w.write('2\n');
    w.end();
    assert.equal(res.text, '1\n2\n');
    w.write('3\n');
    assert.equal(res.text, '1\n2\n', 'writes after end are dropped');
  });

  it('calls onOverflow once when a slow watcher falls too far behind', async () => {
    const res = new FakeResponse(1);
    let overflows = 0;
    const w = new WatchWriter(res, () => overflows++, 10);
    w.write('first\n');
    await tick();
    for (let i = 0; i < 5; i++) w.write('12345\n');
    assert.equal(overflows, 1);
    assert.equal(w.buffered, 0, 'the queue is dropped: the client gets it from the history');
    w.end();
    assert.equal(res.text, 'first\n', 'the stream ends cleanly after what the socket took');
  });

  it('drops the queue on destroy', async () => {
    const res = new FakeResponse();
    const w = new WatchWriter(res, noOverflow);
    w.write('lost\n');
    w.destroy();
    await tick();
    assert.equal(res.destroyed, true);
    assert.deepEqual(res.writes, []);
  });

  it('delivers every line once and in order under any interleaving of writes, ticks and drains', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('write' as const), size: fc.integer({ min: 1, max: 40_000 }) }),
            fc.record({ op: fc.constant('tick' as const) }),
            fc.record({ op: fc.constant('drain' as const) }),
          ),
          { maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 4 }),
        async (ops, capacity) => {
          const res = new FakeResponse(capacity);
          const w = new WatchWriter(res, noOverflow);
          const sent: string[] = [];
          for (const [i, o] of ops.entries()) {
            if (o.op === 'write') {
              const line = `${i}:${'y'.repeat(o.size)}\n`;
              sent.push(line);
              w.write(line);
            } else if (o.op === 'tick') await tick();
            else res.drain();
          }
          w.end();
          assert.equal(res.text, sent.join(''));
        },
      ),
      { numRuns: 50 },
    );
  });
});
