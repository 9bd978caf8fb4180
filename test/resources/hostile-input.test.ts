// Hostile schemas and values: what the API server bounds (RE2's linear-time regular expressions,
// CEL's runtime cost that grows with the size of the strings a rule builds) must be bounded here
// too, so one request can neither hang the event loop nor run the process out of memory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JSONSchemaProps } from '../../src/resources/index.js';
import { createErrors, rootWith, widget } from './helpers.js';

// `(a+)+$` against a run of `a`s and a mismatch backtracks exponentially in a backtracking engine;
// RE2 (Go's regexp, which the API server uses) answers in linear time.
const EVIL = '^(a+)+$';
const EVIL_INPUT = `${'a'.repeat(64)}!`;

describe('regular expressions run in linear time, as RE2', () => {
  it('a schema pattern', () => {
    const schema = rootWith({ type: 'object', properties: { s: { type: 'string', pattern: EVIL } } });
    assert.deepEqual(createErrors(schema, widget({ s: EVIL_INPUT })), [
      `spec.s: Invalid value: "${EVIL_INPUT}": spec.s in body should match '${EVIL}'`,
    ]);
  });
  it("CEL's matches, find and findAll", () => {
    const rules = [
      { rule: `self.s.matches('${EVIL}')` },
      { rule: `self.s.find('${EVIL}') != ''` },
      { rule: `self.s.findAll('${EVIL}').size() > 0` },
    ];
    const schema = rootWith({
      type: 'object',
      properties: { s: { type: 'string' } },
      'x-kubernetes-validations': rules,
    });
    assert.deepEqual(
      createErrors(schema, widget({ s: EVIL_INPUT })),
      rules.map((r) => `spec: Invalid value: "object": failed rule: ${r.rule}`),
    );
  });
});

const costLimit = (rule: string): string =>
  `spec: Invalid value: "object": 'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: ${rule}`;

describe('CEL cost grows with the strings a rule builds', () => {
  const stringSpec = (rule: string): JSONSchemaProps =>
    rootWith({
      type: 'object',
      properties: { s: { type: 'string', maxLength: 16 }, l: { type: 'array', items: { type: 'string' } } },
      'x-kubernetes-validations': [{ rule }],
    });

  it('a chain of replace calls that multiplies a string stops at the per-call limit', () => {
    const rule = `self.s${".replace('a', 'aaaaaaaa')".repeat(12)}.size() > 0`;
    assert.deepEqual(createErrors(stringSpec(rule), widget({ s: 'aaaaaaaaaa' })), [costLimit(rule)]);
  });
  it('a list of ever larger joined strings stops at the per-call limit', () => {
    const rule = 'self.l.map(x, self.l.join(x)).size() > 0';
    const l = Array.from({ length: 2000 }, () => 'x'.repeat(1000));
    assert.deepEqual(createErrors(stringSpec(rule), widget({ s: 'a', l })), [costLimit(rule)]);
  });
  it('doubling a string through bindings stops at the per-call limit', () => {
    let rule = 'v9.size() > 0';
    for (let i = 9; i > 0; i--) rule = `cel.bind(v${i}, v${i - 1} + v${i - 1}, ${rule})`;
    rule = `cel.bind(v0, self.l.join(''), ${rule})`;
    const l = Array.from({ length: 1000 }, () => 'x'.repeat(1000));
    assert.deepEqual(createErrors(stringSpec(rule), widget({ s: 'a', l })), [costLimit(rule)]);
  });
});

describe('CEL cost grows with the size of the strings and lists a rule reads', () => {
  // cel-go charges string and list operations (contains, ==, in, ...) by their operands' size, so a
  // comprehension that scans a large value on every iteration runs out of cost instead of time.
  const schema = (rule: string): JSONSchemaProps =>
    rootWith({
      type: 'object',
      properties: { s: { type: 'string' }, l: { type: 'array', items: { type: 'integer' } } },
      'x-kubernetes-validations': [{ rule }],
    });
  it('scanning a long string once per item', () => {
    const rule = "self.l.all(x, !self.s.contains('zzz'))";
    const l = Array.from({ length: 20_000 }, (_, i) => i);
    assert.deepEqual(createErrors(schema(rule), widget({ s: 'a'.repeat(500_000), l })), [costLimit(rule)]);
  });
  it('membership in a long list once per item', () => {
    const rule = 'self.l.all(x, x in self.l)';
    const l = Array.from({ length: 5_000 }, (_, i) => i);
    assert.deepEqual(createErrors(schema(rule), widget({ s: '', l })), [costLimit(rule)]);
  });
  it('ordinary rules on ordinary objects stay far from the limit', () => {
    const rule = "self.l.all(x, x >= 0) && self.s.startsWith('a') && self.s.size() < 1000";
    const l = Array.from({ length: 1_000 }, (_, i) => i);
    assert.deepEqual(createErrors(schema(rule), widget({ s: 'abc', l })), []);
  });
});

describe('CEL regular expressions cost by their size', () => {
  // A pattern taken from the object is compiled on every new value. Counted repetitions expand
  // (`[a-z]{1,1000}` is a thousand steps), so compiling is charged by the program's size; matching
  // as cel-go charges it, the string's size times the pattern's.
  it('a large pattern per item stops at the per-call limit instead of compiling for seconds', () => {
    const rule = 'self.s.matches(self.p)';
    const schema = rootWith({
      type: 'object',
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: { s: { type: 'string' }, p: { type: 'string' } },
            'x-kubernetes-validations': [{ rule }],
          },
        },
      },
    });
    const items = Array.from({ length: 10 }, (_, i) => ({ s: 'abc', p: `${'[a-z]{1,1000}'.repeat(25)}${i}` }));
    assert.deepEqual(createErrors(schema, widget({ items })), [
      `spec.items[0]: Invalid value: "object": 'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: ${rule}`,
    ]);
  });
  it('an ordinary pattern costs little', () => {
    const rule = "self.s.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$') && self.s.find('[0-9]+') == '1'";
    const schema = rootWith({
      type: 'object',
      properties: { s: { type: 'string' } },
      'x-kubernetes-validations': [{ rule }],
    });
    assert.deepEqual(createErrors(schema, widget({ s: 'abc-1' })), []);
  });
});

describe("ext strings' replace is Go's strings.Replace", () => {
  const check = (rule: string): string[] =>
    createErrors(
      rootWith({ type: 'object', properties: { s: { type: 'string' } }, 'x-kubernetes-validations': [{ rule }] }),
      widget({ s: 'abc' }),
    );
  it('an empty old string inserts before every rune and at the end', () => {
    assert.deepEqual(check("self.s.replace('', '-') == '-a-b-c-'"), []);
    assert.deepEqual(check("self.s.replace('', '-', 2) == '-a-bc'"), []);
    assert.deepEqual(check("'😀x'.replace('', '.') == '.😀.x.'"), []);
  });
  it('a count limits the replacements', () => {
    assert.deepEqual(check("'aaaa'.replace('a', 'b', 2) == 'bbaa'"), []);
    assert.deepEqual(check("'aaaa'.replace('a', 'b', 0) == 'aaaa'"), []);
    assert.deepEqual(check("'aaaa'.replace('a', 'b', -1) == 'bbbb'"), []);
  });
});
