// has() over any operand, as cel-go allows and the Gateway API's CRDs use: cel-js's own macro
// takes only `ident.a.b`, so such rules are compiled again with a general has().
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CelCompileError, CostMeter, compileExpression } from '../../src/resources/cel/environment.js';
import { toCelValue } from '../../src/resources/cel/values.js';

function evaluate(rule: string, self: unknown): unknown {
  return compileExpression(rule).evaluate({ self: toCelValue(self, undefined) }, new CostMeter(1e6));
}

describe('has() over any operand', () => {
  it('an index or a call before the selection (the HTTPRoute and GRPCRoute rules)', () => {
    const rule = 'self.size() > 0 ? has(self[0].matches) : true';
    assert.equal(evaluate(rule, [{ matches: [] }]), true);
    assert.equal(evaluate(rule, [{ other: 1 }]), false);
    assert.equal(evaluate(rule, []), true);
    const filtered = "has(self.rules.filter(r, r.kind == 'a')[0].path)";
    assert.equal(evaluate(filtered, { rules: [{ kind: 'b' }, { kind: 'a', path: '/' }] }), true);
    assert.equal(evaluate(filtered, { rules: [{ kind: 'a' }] }), false);
  });

  it('a missing field before the last selection is an error, as cel-go makes it', () => {
    assert.throws(() => evaluate('has(self[0].a.b)', [{}]), /no such key: a/);
    assert.equal(evaluate('has(self[0].a.b)', [{ a: {} }]), false);
  });

  it('keeps cel-js has() where it applies, and still refuses what no has() takes', () => {
    assert.equal(evaluate('has(self.a)', { a: 1 }), true);
    assert.equal(evaluate('has(self.a)', {}), false);
    assert.throws(() => compileExpression('has(self[0])'), CelCompileError);
    assert.throws(() => compileExpression('has(self)'), CelCompileError);
  });

  it('renames has calls only, never inside string literals or as a method', () => {
    assert.equal(evaluate("has(self[0].x) && 'has(self[0].y)'.size() > 0", [{ x: 1 }]), true);
  });
});
