// The static cost estimate against upstream's own figures: every case and expected cost is from
// apiextensions-apiserver pkg/apiserver/schema/cel/compilation_test.go (TestCostEstimation,
// Kubernetes 1.33), each schema once without bounds (sizes derived from the 3 MiB request limit)
// and once with maxItems/maxProperties/maxLength set.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Environment } from '@marcbachmann/cel-js';
import { schemaDeclType } from '../../src/resources/cel/decl-type.js';
import { compileExpression } from '../../src/resources/cel/environment.js';
import { estimateCost } from '../../src/resources/cel/estimate.js';
import type { JSONSchemaProps } from '../../src/resources/index.js';

type Gen = (max: number | undefined) => JSONSchemaProps;

function itemType(t: string): JSONSchemaProps {
  if (t === 'int-or-string') return { 'x-kubernetes-int-or-string': true };
  if (t === 'duration' || t === 'date' || t === 'date-time') return { type: 'string', format: t };
  return { type: t as JSONSchemaProps['type'] };
}
const withRule = (s: JSONSchemaProps, rule: string): JSONSchemaProps => ({
  ...s,
  'x-kubernetes-validations': [{ rule }],
});
const array =
  (t: string, rule: string): Gen =>
  (max) =>
    withRule({ type: 'array', items: itemType(t), maxItems: max }, rule);
const arrayOfArrays =
  (t: string, rule: string): Gen =>
  (max) =>
    withRule({ type: 'array', items: { type: 'array', items: itemType(t) }, maxItems: max }, rule);
const requiredOptional: JSONSchemaProps = {
  type: 'object',
  properties: { required: { type: 'string' }, optional: { type: 'string' } },
  required: ['required'],
};
const objectArray =
  (rule: string): Gen =>
  (max) =>
    withRule({ type: 'array', items: requiredOptional, maxItems: max }, rule);
const mapArray =
  (t: string, rule: string): Gen =>
  (max) =>
    withRule({ type: 'array', items: { type: 'object', additionalProperties: itemType(t) }, maxItems: max }, rule);
const map =
  (t: string, rule: string): Gen =>
  (max) =>
    withRule({ type: 'object', additionalProperties: itemType(t), maxProperties: max }, rule);
const mapOf =
  (item: JSONSchemaProps, rule: string): Gen =>
  (max) =>
    withRule({ type: 'object', additionalProperties: item, maxProperties: max }, rule);
const string =
  (rule: string): Gen =>
  (max) =>
    withRule({ type: 'string', maxLength: max }, rule);
const bytes =
  (rule: string): Gen =>
  (max) =>
    withRule({ type: 'string', format: 'byte', maxLength: max }, rule);
const nestedSpec =
  (rule: string): Gen =>
  (max) =>
    withRule({ type: 'object', additionalProperties: { type: 'string', maxLength: max }, maxProperties: max }, rule);
const allMaxNested =
  (rule: string): Gen =>
  (max) =>
    withRule(
      {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: { ...requiredOptional, maxProperties: max },
          maxProperties: max,
        },
        maxItems: max,
      },
      rule,
    );
const oneMaxNested =
  (rule: string): Gen =>
  (max) =>
    withRule(
      { type: 'array', items: { type: 'object', additionalProperties: requiredOptional, maxProperties: max } },
      rule,
    );
const enumString =
  (rule: string, ...values: string[]): Gen =>
  (max) =>
    withRule({ type: 'string', maxLength: max, enum: values }, rule);

/** [name, schema, expected cost unbounded, maxElements, expected cost bounded]; 0 = upstream does not check. */
const CASES: [string, Gen, number, number, number][] = [
  ['number array with all', array('number', 'self.all(x, true)'), 4718591, 10, 32],
  ['string array with all', array('string', 'self.all(x, true)'), 3145727, 20, 62],
  ['boolean array with all', array('boolean', 'self.all(x, true)'), 1887437, 5, 17],
  ['array of number arrays with all', arrayOfArrays('number', 'self.all(x, true)'), 3145727, 100, 302],
  ['array of objects with all', objectArray('self.all(x, true)'), 555128, 50, 152],
  ['map of numbers with all', map('number', 'self.all(x, true)'), 1348169, 10, 32],
  ['map of strings with all', map('string', 'self.all(x, true)'), 1179647, 3, 11],
  ['map of booleans with all', map('boolean', 'self.all(x, true)'), 943718, 100, 302],
  ['string with contains', string("self.contains('test')"), 314574, 10, 5],
  ['string with startsWith', string("self.startsWith('test')"), 2, 15, 2],
  ['string with endsWith', string("self.endsWith('test')"), 2, 30, 2],
  ['concat string', string('size(self + "hello") > size("hello")'), 314578, 4, 7],
  ['index of array with numbers', array('number', 'self[1] == 0.0'), 2, 5000, 2],
  ['index of array with strings', array('string', 'self[1] == self[1]'), 314577, 8, 314577],
  ['O(n^2) loop with numbers', array('number', 'self.all(x, self.all(y, true))'), 0, 10, 352],
  ['O(n^3) loop with numbers', array('number', 'self.all(x, self.all(y, self.all(z, true)))'), 0, 10, 3552],
  ['regex matches simple', string('self.matches("x")'), 314574, 50, 22],
  ['regex matches empty string', string('"".matches("(((((((((())))))))))[0-9]")'), 7, 10, 7],
  ['regex matches empty regex', string('self.matches("")'), 1, 100, 1],
  ['map of strings with value length', nestedSpec('self.all(x, x.contains(self[x]))'), 2752507, 10, 72],
  ['set array maxLength to zero', array('number', 'self[3] == 0.0'), 2, 0, 2],
  ['set map maxLength to zero', map('number', 'self["x"] == 0.0'), 2, 0, 2],
  ['set string maxLength to zero', string('self == "x"'), 2, 0, 1],
  ['set bytes maxLength to zero', bytes('self == b"x"'), 2, 0, 1],
  [
    'set maxLength greater than estimated',
    array('number', 'self.all(x, x == 0.0)'),
    6291454,
    3 * 1024 * 2048,
    25165826,
  ],
  ['nested types, all bounded', allMaxNested('self.all(x, x["y"].required == "z")'), 7340027, 10, 72],
  ['nested types, one bounded', oneMaxNested('self.all(x, x["y"].required == "z")'), 7340027, 10, 7340027],
  ['int-or-string array with all', array('int-or-string', 'self.all(x, true)'), 4718591, 10, 32],
  ['index of array with int-or-strings', array('int-or-string', 'self[0] == 5'), 3, 10, 3],
  ['index of array with booleans', array('boolean', 'self[0] == false'), 2, 25, 2],
  ['index of array of objects', objectArray('self[0] == null'), 2, 422, 2],
  ['index of array of array of numbers', arrayOfArrays('number', 'self[0][0] == -1.0'), 3, 51, 3],
  ['array of number maps with all', mapArray('number', 'self.all(x, x.y == 25.2)'), 6291452, 12, 74],
  ['index of array of number maps', mapArray('number', 'self[0].x > 2.0'), 4, 3000, 4],
  ['duration array with all', array('duration', 'self.all(x, true)'), 2359295, 5, 17],
  ['index of duration array', array('duration', 'self[0].getHours() == 2'), 4, 525, 4],
  ['date array with all', array('date', 'self.all(x, true)'), 725936, 15, 47],
  ['index of date array', array('date', 'self[2].getDayOfMonth() == 13'), 4, 42, 4],
  ['date-time array with all', array('date-time', 'self.all(x, true)'), 428963, 25, 77],
  ['index of date-time array', array('date-time', 'self[2].getMinutes() == 45'), 4, 99, 4],
  ['map of int-or-strings with all', map('int-or-string', 'self.all(x, true)'), 1348169, 15, 47],
  ['map of objects with all', mapOf(requiredOptional, 'self.all(x, true)'), 428963, 20, 62],
  [
    'map of number maps with all',
    mapOf({ type: 'object', additionalProperties: { type: 'number' } }, 'self.all(x, true)'),
    1179647,
    10,
    32,
  ],
  [
    'map of number arrays with all',
    mapOf({ type: 'array', items: { type: 'number' } }, 'self.all(x, true)'),
    1179647,
    25,
    77,
  ],
  ['map of durations with all', map('duration', 'self.all(x, true)'), 1048577, 5, 17],
  ['map of dates with all', map('date', 'self.all(x, true)'), 524288, 10, 32],
  ['map of date-times with all', map('date-time', 'self.all(x, true)'), 349526, 25, 77],
  ['extended library regex find', string("self.find('[0-9]+') == ''"), 629147, 10, 11],
  [
    'extended library join',
    (max) =>
      withRule(
        { type: 'array', items: { type: 'string', maxLength: max }, maxItems: max },
        "self.join(' ') == 'aa bb'",
      ),
    329853068905,
    10,
    43,
  ],
  [
    'extended library isSorted',
    (max) =>
      withRule({ type: 'array', items: { type: 'string', maxLength: max }, maxItems: max }, 'self.isSorted() == true'),
    329854432052,
    10,
    52,
  ],
  [
    'extended library replace',
    (max) =>
      withRule(
        {
          type: 'object',
          properties: {
            str: { type: 'string', maxLength: max },
            before: { type: 'string', maxLength: 2 },
            after: { type: 'string', maxLength: 4 },
          },
        },
        "self.str.replace(self.before, self.after) == 'does not matter'",
      ),
    629154,
    4,
    12,
  ],
  [
    'extended library split',
    (max) =>
      withRule(
        {
          type: 'object',
          properties: { str: { type: 'string', maxLength: max }, separator: { type: 'string', maxLength: max } },
        },
        'self.str.split(self.separator) == []',
      ),
    629160,
    10,
    22,
  ],
  [
    'extended library lowerAscii',
    (max) => withRule({ type: 'string', maxLength: max }, "self.lowerAscii() == 'lower!'"),
    314575,
    10,
    6,
  ],
  ['check cost of size call', map('integer', 'oldSelf.size() == self.size()'), 5, 10, 5],
  ['check cost of timestamp comparison', map('date-time', 'self["a"] == self["b"]'), 8, 7, 8],
  ['check cost of duration comparison', map('duration', 'self["c"] == self["d"]'), 8, 42, 8],
  ['enums with maxLength', enumString("self.contains('A')", 'A', 'B', 'C', 'LongValue'), 2, 1000, 401],
];

function costOf(schema: JSONSchemaProps): number {
  const rule = schema['x-kubernetes-validations']?.[0]?.rule ?? '';
  const decl = schemaDeclType(schema, false);
  assert.ok(decl, 'the schema has a CEL type');
  return estimateCost(compileExpression(rule).ast, decl);
}

describe('static cost estimate: upstream TestCostEstimation', () => {
  for (const [name, gen, unbounded, max, bounded] of CASES) {
    it(name, () => {
      const calc = costOf(gen(undefined));
      if (unbounded > 0) assert.equal(calc, unbounded, 'without bounds');
      else assert.ok(calc > 10_000_000, `without bounds the cost exceeds the limit (got ${calc})`);
      assert.equal(costOf(gen(max)), bounded, `with bounds of ${max}`);
    });
  }
});

// apiserver pkg/cel/library/cost_test.go (Kubernetes 1.33): literal expressions through the
// Kubernetes library estimators, with that test's size estimator (strings and bytes of at most 12).
const TEST_SIZES = (_path: readonly string[] | undefined, type: { kind: string }) =>
  type.kind === 'string' || type.kind === 'bytes' ? { min: 0, max: 12 } : undefined;
const STRINGS = "['012345678901', '012345678901', '012345678901', '012345678901', '012345678901']";
const LIBRARY_CASES: [string, number][] = [
  ['[1, 2, 3, 4, 5].sum()', 15],
  ['[1.0, 2.0, 3.0, 4.0, 5.0].sum()', 15],
  ['[1, 2, 3, 4, 5].isSorted()', 15],
  ['[false, true, false, true, false].max()', 15],
  [`${STRINGS}.min()`, 25],
  [`${STRINGS}.isSorted()`, 25],
  ['[1, 2, 3, 4, 5].indexOf(3)', 15],
  [`${STRINGS}.lastIndexOf('x')`, 25],
  ["'01234567890123456789012345678901234567890123456789'.indexOf('123')", 5],
  ["url('https:://kubernetes.io/').getScheme()", 4],
  ["url('https:://kubernetes.io/').getQuery()", 4],
  ["ip('192.168.0.1')", 2],
  ["ip('192.168.0.1').family()", 3],
  ["ip('2001:db8:3333:4444:5555:6666:7777:8888').isLoopback()", 5],
  ["ip.isCanonical('192.168.0.1')", 3],
  ["ip.isCanonical('2001:db8:3333:4444:5555:6666:7777:8888')", 8],
  ["cidr('192.168.0.0/16')", 2],
  ["'ABCDEFGHIJ abcdefghij'.lowerAscii()", 3],
  ["'ABCDEFGHIJ abcdefghij'.lowerAscii() == 'abcdefghij ABCDEFGHIJ'.lowerAscii()", 9],
  ["strings.quote('ABCDEFGHIJ abcdefghij') == strings.quote('ABCDEFGHIJ abcdefghij')", 11],
  ["'abc 123 def 123'.replace('123', '456')", 3],
  ["'abc 123 def 123'.replace('', 'x')", 3],
  ['quantity("12Mi")', 1],
  ['isQuantity("20M")', 1],
  ['sets.contains([], [])', 21],
  ['sets.contains([1], [1, 1])', 23],
  ['sets.contains([1, 2, 3, 4], [2, 3])', 29],
];

// Equality of the libraries' opaque values, which this project's CEL environment does not compile
// yet (`no such overload`): estimated from the parsed AST alone.
const OPAQUE_EQUALITY_CASES: [string, number][] = [
  ["url('https:://kubernetes.io/') == url('https:://kubernetes.io/')", 9],
  ["url('https:://kubernetes.io/') == url('http://x.b')", 5],
  ["ip('192.168.0.1') == ip('192.168.0.1')", 5],
  ['quantity("200M") == quantity("200M")', 3],
  ['quantity("200M") == quantity("0.2G") && quantity("0.2G") == quantity("200M")', 6],
];

describe('static cost estimate: upstream library cost tests', () => {
  const root = schemaDeclType({ type: 'object' }, false);
  assert.ok(root);
  for (const [expr, expected] of LIBRARY_CASES) {
    it(expr, () => {
      assert.equal(estimateCost(compileExpression(expr).ast, root, { sizeHint: TEST_SIZES }), expected);
    });
  }
  for (const [expr, expected] of OPAQUE_EQUALITY_CASES) {
    it(expr, () => {
      const ast = new Environment({ enableOptionalTypes: true }).parse(expr).ast;
      assert.equal(estimateCost(ast, root, { sizeHint: TEST_SIZES }), expected);
    });
  }
});
