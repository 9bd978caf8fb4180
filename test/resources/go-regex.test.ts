// Go renderings the API server's texts are made of, and RE2 patterns on JavaScript's engine.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goFloat, goNumber, goQuote, goSyntax } from '../../src/resources/go-format.js';
import { compileGoRegex, RegexSyntaxError } from '../../src/resources/index.js';

describe('Go formatting', () => {
  it('%v of floats (strconv g, shortest)', () => {
    assert.deepEqual([1.5, 1e6, 1000000.5, 123456, 0.0001, 0.00001, 1e21, -2.5e-7].map(goFloat), [
      '1.5',
      '1e+06',
      '1.0000005e+06',
      '123456',
      '0.0001',
      '1e-05',
      '1e+21',
      '-2.5e-07',
    ]);
    assert.deepEqual([50, -3, 1.25].map(goNumber), ['50', '-3', '1.25']);
  });
  it('%q of strings', () => {
    assert.equal(goQuote('a"b\\c\n\t\u0001é'), '"a\\"b\\\\c\\n\\t\\x01é"');
  });
  it('%#v of maps and slices', () => {
    assert.equal(
      goSyntax({ b: [1, 'x', null], a: true }),
      'map[string]interface {}{"a":true, "b":[]interface {}{1, "x", interface {}(nil)}}',
    );
  });
});

describe('RE2 patterns', () => {
  const CASES: [string, string, boolean][] = [
    ['^[a-z]+$', 'abc', true],
    ['(?i)^abc$', 'ABC', true],
    ['(?i:ab)c', 'ABc', true],
    ['(?i:ab)c', 'ABC', false],
    ["^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$", '/a%20b', true],
    ['[[:alpha:]]+$', 'ab', true],
    ['^\\pL+$', 'éa', true],
    ['^\\p{Greek}$', 'α', true],
    ['^\\s$', '\u00a0', false],
    ['a.c', 'a\nc', false],
    ['(?s)a.c', 'a\nc', true],
    ['\\Qa.b\\E', 'axb', false],
    ['a{', 'a{', true],
    ['[\\w-.]+', 'a-b.c', true],
    ['\\z', '', true],
  ];
  for (const [pattern, text, want] of CASES)
    it(`${pattern} on ${JSON.stringify(text)}`, () => assert.equal(compileGoRegex(pattern).test(text), want));
  it('refuses what RE2 refuses, with Go messages', () => {
    const message = (p: string) => {
      try {
        compileGoRegex(p);
        return 'compiled';
      } catch (err) {
        assert.ok(err instanceof RegexSyntaxError);
        return err.message;
      }
    };
    assert.equal(message('a(?=b)'), 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`');
    assert.equal(message('(a)\\1'), 'error parsing regexp: invalid escape sequence: `\\1`');
    assert.equal(message('x**'), 'error parsing regexp: invalid nested repetition operator: `**`');
    assert.equal(message('(a'), 'error parsing regexp: missing closing ): `(a`');
    assert.equal(message('[a'), 'error parsing regexp: missing closing ]: `[a`');
  });
});
