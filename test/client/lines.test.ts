import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LineSplitter, parseWatchLine, WatchParseError } from '../../src/client/index.js';

function split(chunks: Buffer[]): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l));
  for (const c of chunks) s.push(c);
  s.end();
  return lines;
}

describe('LineSplitter', () => {
  it('splits lines that span chunks', () => {
    const lines = split([Buffer.from('{"a":1}\n{"b"'), Buffer.from(':2}'), Buffer.from('\n{"c":3}\n')]);
    assert.deepEqual(lines, ['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('decodes a multi-byte UTF-8 character split across chunks', () => {
    const text = '{"v":"héllo €uro 𝄞 雪"}\n';
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const lines = split([bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.deepEqual(lines, [text.trimEnd()], `cut at ${cut}`);
    }
  });

  it('gives the same lines whatever the chunking (property)', () => {
    const line = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ''));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (lines, cuts) => {
        const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
        const points = [...new Set(cuts.map((c) => (bytes.length ? c % bytes.length : 0)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of points) {
          chunks.push(bytes.subarray(prev, p));
          prev = p;
        }
        chunks.push(bytes.subarray(prev));
        // Only spaces and tabs make a keep-alive line; other whitespace (U+00A0, U+3000, ...) is
        // passed on, for the JSON parse to refuse with a clear error.
        const expected = lines.filter((l) => !/^[ \t]*$/.test(l));
        assert.deepEqual(split(chunks), expected);
      }),
    );
  });

  it('drops CR terminators and blank keep-alive lines, flushes an unterminated last line', () => {
    assert.deepEqual(split([Buffer.from('a\r\n\n  \nb')]), ['a', 'b']);
  });

  it('passes on a line of other whitespace, which is no keep-alive', () => {
    assert.deepEqual(split([Buffer.from('\u00a0\n\u3000\n')]), ['\u00a0', '\u3000']);
  });

  it('does not keep the chunk alive for a short tail', () => {
    const s = new LineSplitter(() => {});
    const big = Buffer.alloc(65536, 0x61);
    big[100] = 10;
    s.push(big);
    assert.equal(s.pendingBytes, 65536 - 101);
  });

  it('refuses lines past the limit', () => {
    const s = new LineSplitter(() => {}, 10);
    assert.throws(() => s.push(Buffer.from('0123456789abc')), RangeError);
  });
});

describe('parseWatchLine', () => {
  it('parses events', () => {
    const ev = parseWatchLine('{"type":"ADDED","object":{"metadata":{"name":"a"}}}');
    assert.equal(ev.type, 'ADDED');
    assert.equal(ev.object.metadata.name, 'a');
  });

  for (const garbage of [
    '{"type":"ADDED","obj',
    'not json',
    '[]',
    '{"type":"NOPE","object":{}}',
    '{"type":"ADDED"}',
    'null',
  ]) {
    it(`rejects garbage: ${garbage}`, () => {
      assert.throws(
        () => parseWatchLine(garbage),
        (err: unknown) => err instanceof WatchParseError && err.code === 'KLOOP_WATCH_MALFORMED',
      );
    });
  }
});
