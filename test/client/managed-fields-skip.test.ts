import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LineSplitter } from '../../src/client/index.js';
import { checkValue, watchLineWithoutManagedFields } from '../../src/client/managed-fields-skip.js';

function cut(line: string): string {
  const bytes = Buffer.from(line);
  return watchLineWithoutManagedFields(bytes, 0, bytes.length);
}

/** The parsed line with its object's metadata.managedFields removed, as the informer stores it. */
function stripped(text: string): unknown {
  const ev = JSON.parse(text) as { object?: { metadata?: Record<string, unknown> } };
  const meta = ev?.object?.metadata;
  if (meta && typeof meta === 'object' && !Array.isArray(meta)) delete meta.managedFields;
  return ev;
}

/** Parses `text`, or returns the error's class (JSON.parse's messages name positions). */
function outcome(text: string): unknown {
  try {
    return stripped(text);
  } catch (err) {
    return (err as Error).constructor.name;
  }
}

const MF = '[{"manager":"kubectl","operation":"Update","fieldsV1":{"f:data":{"f:a":{}}}}]';

describe('watchLineWithoutManagedFields', () => {
  it('cuts metadata.managedFields wherever it stands among the members', () => {
    const cases: Array<[string, string]> = [
      [
        `{"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a","managedFields":${MF},"uid":"u"},"data":{"k":"v"}}}`,
        '{"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a","uid":"u"},"data":{"k":"v"}}}',
      ],
      [
        `{"type":"ADDED","object":{"metadata":{"name":"a","managedFields":${MF}}}}`,
        '{"type":"ADDED","object":{"metadata":{"name":"a"}}}',
      ],
      [`{"type":"ADDED","object":{"metadata":{"managedFields":${MF}}}}`, '{"type":"ADDED","object":{"metadata":{}}}'],
      [
        `{"type":"ADDED","object":{"metadata":{"managedFields":${MF},"name":"a"}}}`,
        '{"type":"ADDED","object":{"metadata":{"name":"a"}}}',
      ],
      [
        `{"object":{"metadata":{"name":"a","managedFields":null}},"type":"MODIFIED"}`,
        '{"object":{"metadata":{"name":"a"}},"type":"MODIFIED"}',
      ],
    ];
    for (const [line, want] of cases) assert.equal(cut(line), want, line);
  });

  it('leaves a managedFields key that is not the object metadata’s, and lines it is unsure of, whole', () => {
    const whole = [
      // a label, an annotation and a data key named managedFields
      `{"type":"ADDED","object":{"metadata":{"name":"a","labels":{"managedFields":"x"}},"data":{"managedFields":${MF}}}}`,
      `{"type":"ADDED","object":{"data":{"managedFields":${MF}},"metadata":{"name":"a"}}}`,
      // managedFields outside the object, or in an object's nested metadata
      `{"type":"ADDED","managedFields":${MF},"object":{"metadata":{"name":"a"}}}`,
      `{"type":"ADDED","object":{"spec":{"template":{"metadata":{"managedFields":${MF}}}},"metadata":{"name":"a"}}}`,
      // the key written with an escape: JSON.parse reads it as managedFields, the scan does not know it
      `{"type":"ADDED","object":{"metadata":{"name":"a","managed\\u0046ields":${MF}}}}`,
      // inside a string
      `{"type":"ADDED","object":{"metadata":{"name":"\\"managedFields\\":[]"}}}`,
      // truncated, and not an object
      `{"type":"ADDED","object":{"metadata":{"name":"a","managedFields":[{"manager":"kub`,
      `{"type":"ADDED","object":{"metadata":{"name":"a","managedFields":${MF}`,
      '["object",{"metadata":{"managedFields":[]}}]',
      'not json',
    ];
    for (const line of whole) assert.equal(cut(line), line, line);
  });

  it('never hides a malformed managedFields: the line is decoded whole and JSON.parse refuses it', () => {
    for (const bad of ['[{]', '[01]', '["\\x"]', '[tru]', '[1,]', '{"a" 1}', '["a\tb"]', '[1.]', '[-]']) {
      const line = `{"type":"ADDED","object":{"metadata":{"name":"a","managedFields":${bad},"uid":"u"}}}`;
      assert.equal(cut(line), line, bad);
      assert.throws(() => JSON.parse(cut(line)), SyntaxError, bad);
    }
  });

  it('decodes multi-byte UTF-8 on both sides of the cut', () => {
    const line = `{"type":"ADDED","object":{"metadata":{"name":"é","managedFields":[{"manager":"雪"}],"uid":"𝄞"},"data":{"k":"€"}}}`;
    assert.deepEqual(JSON.parse(cut(line)), stripped(line));
  });

  it('reads the same objects as JSON.parse, managedFields aside, whatever the JSON (property)', () => {
    const value = fc.jsonValue({ maxDepth: 3 });
    const metadata = fc
      .tuple(fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 4 }), fc.option(value), fc.nat())
      .map(([rest, mf, at]) => {
        const entries = Object.entries(rest).filter(([k]) => k !== 'managedFields');
        if (mf !== null) entries.splice(at % (entries.length + 1), 0, ['managedFields', mf]);
        return Object.fromEntries(entries);
      });
    const event = fc.record({
      type: fc.constantFrom('ADDED', 'MODIFIED', 'DELETED'),
      object: fc.record({ kind: fc.string(), metadata, data: fc.dictionary(fc.string(), value) }),
    });
    fc.assert(
      fc.property(event, fc.constantFrom(undefined, 1, '\t'), (ev, space) => {
        const line = JSON.stringify(ev, null, space).replace(/\n/g, '\r');
        const got = cut(line);
        assert.deepEqual(JSON.parse(got), stripped(line));
        if (space === undefined && 'managedFields' in ev.object.metadata) {
          assert.ok(got.length < line.length, 'a compact line loses its managedFields');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('accepts exactly the lines JSON.parse accepts (mutated lines, property)', () => {
    const base = `{"type":"ADDED","object":{"metadata":{"name":"a","labels":{"x":"y"},"managedFields":[{"m":"k","n":-1.5e3,"t":true,"f":false,"z":null,"o":{"f:a":{},"s":"\\"\\u00e9"}}],"uid":"u"},"data":{"k":"v"}}}`;
    const significant = '{}[]",:\\ 0123456789-+.eEtrufalsn\t\u0001';
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.constantFrom(...significant)), { minLength: 1, maxLength: 3 }),
        fc.option(fc.nat(base.length)),
        (edits, truncate) => {
          const chars = [...base];
          for (const [at, c] of edits) chars[at] = c;
          let line = chars.join('');
          if (truncate !== null) line = line.slice(0, truncate);
          assert.deepEqual(outcome(cut(line)), outcome(line), line);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('plugs into LineSplitter as its decoder', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l), 1024, watchLineWithoutManagedFields);
    const line = `{"type":"ADDED","object":{"metadata":{"name":"a","managedFields":${MF}}}}\n`;
    const bytes = Buffer.from(line + line);
    splitter.push(bytes.subarray(0, 30));
    splitter.push(bytes.subarray(30, line.length + 10));
    splitter.push(bytes.subarray(line.length + 10));
    splitter.end();
    assert.deepEqual(lines, [
      '{"type":"ADDED","object":{"metadata":{"name":"a"}}}',
      '{"type":"ADDED","object":{"metadata":{"name":"a"}}}',
    ]);
  });
});

describe('checkValue', () => {
  it('finds the end of exactly one JSON value, as JSON.parse reads it', () => {
    const good = [
      '0',
      '-0.5e+7',
      '"a\\u00e9\\n"',
      'true',
      'null',
      '[]',
      '{}',
      '[1,[2,{"a":[]}]]',
      ' { "a" : [ 1 , 2 ] } ',
    ];
    for (const text of good) {
      const b = Buffer.from(`${text}~`);
      const end = checkValue(b, 0, b.length);
      assert.equal(end, text.trimEnd().length, text);
    }
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    assert.equal(checkValue(Buffer.from(deep), 0, deep.length), deep.length, 'depth is not bounded by the stack');
    assert.equal(checkValue(Buffer.from('01'), 0, 2), 1, 'one value: the 0');
    for (const text of ['', '-', '1.', '.5', '+1', '"a', '[1', '{"a"}', '{1:2}', '[1 2]', 'nul', '"\\u12G4"']) {
      const b = Buffer.from(text);
      assert.equal(checkValue(b, 0, b.length), -1, text);
    }
  });
});
