// Hostile schemas and values: what the API server bounds (RE2's linear-time regular expressions,
// CEL's runtime cost that grows with the size of the strings a rule builds) must be bounded here
// too, so one request can neither hang the event loop nor run the process out of memory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
