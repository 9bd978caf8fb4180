import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  labelSelectorFromSpec,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from '../../src/core/selectors.js';

const L = { app: 'web', tier: 'front', n: '5' };

// [selector, labels, matches]
const MATCH: [string, Record<string, string> | undefined, boolean][] = [
  ['', L, true],
  ['', undefined, true],
  ['app=web', L, true],
  ['app==web', L, true],
  ['app=db', L, false],
  ['app!=db', L, true],
  ['app!=web', L, false],
  ['missing!=x', L, true],
  ['missing=x', L, false],
  ['tier in (front,back)', L, true],
  ['tier in (back)', L, false],
  ['tier notin (back)', L, true],
  ['tier notin (front)', L, false],
  ['missing notin (a)', L, true],
  ['missing in (a)', L, false],
  ['app', L, true],
  ['missing', L, false],
  ['!missing', L, true],
  ['!app', L, false],
  ['n>4', L, true],
  ['n>5', L, false],
  ['n<6', L, true],
  ['app>1', L, false],
  ['missing<1', L, false],
  ['app=web,tier=front', L, true],
  ['app=web,tier=back', L, false],
  ['  app = web , tier in ( front ) ', L, true],
  ['app=', { app: '' }, true],
  ['app=', L, false],
  ['example.com/role=x', { 'example.com/role': 'x' }, true],
  ['app in (web,)', { app: '' }, true],
];

describe('parseLabelSelector: matching', () => {
  for (const [text, labels, want] of MATCH) {
    it(`${JSON.stringify(text)} on ${JSON.stringify(labels)} -> ${want}`, () => {
      assert.equal(parseLabelSelector(text).matches(labels), want);
    });
  }
});

const ERRORS: string[] = [
  'app in',
  'app in (a',
  'app in ()',
  'app notin a',
  '!',
  '!app=x',
  'app=(x)',
  ',app',
  'app,',
  'app=web,',
  'in=x',
  'a b',
  'n>x',
  'n<',
  '-bad=x',
  'app=-bad',
  'app=' + 'x'.repeat(64),
  'Example.com/a=b',
  '/a=b',
  'a/b/c=d',
  'app=a b',
];

describe('parseLabelSelector: errors', () => {
  for (const text of ERRORS) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseLabelSelector(text),
        (err: unknown) => err instanceof SelectorError && err.code === 'KLOOP_INVALID_SELECTOR',
      );
    });
  }
  it('words its errors like the API server', () => {
    assert.throws(
      () => parseLabelSelector('-bad=x'),
      /^SelectorError: unable to parse requirement: <nil>: Invalid value: "-bad": name part must consist of/,
    );
    assert.throws(() => parseLabelSelector('a in ()'), /values set can't be empty/);
  });
});

describe('parseLabelSelector: canonical form', () => {
  it('sorts requirements by key and values, keeps operators', () => {
    const sel = parseLabelSelector('z in (b,a),a!=1,!m,k,n>3,n<9,x==y');
    assert.equal(sel.toString(), 'a!=1,k,!m,n>3,n<9,x==y,z in (a,b)');
    assert.equal(parseLabelSelector(sel.toString()).toString(), sel.toString());
    assert.deepEqual(sel.requirements[0], { key: 'a', operator: '!=', values: ['1'] });
  });
  it('isEmpty only for the empty selector', () => {
    assert.equal(parseLabelSelector('').isEmpty(), true);
    assert.equal(parseLabelSelector('a').isEmpty(), false);
  });
});

describe('labelSelectorFromSpec', () => {
  it('null and undefined select nothing; {} selects everything', () => {
    assert.equal(labelSelectorFromSpec(null).matches({}), false);
    assert.equal(labelSelectorFromSpec(undefined).matches({ a: 'b' }), false);
    assert.equal(labelSelectorFromSpec({}).matches({ a: 'b' }), true);
    assert.equal(labelSelectorFromSpec({}).isEmpty(), true);
  });
  it('combines matchLabels and matchExpressions', () => {
    const sel = labelSelectorFromSpec({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'back'] },
        { key: 'legacy', operator: 'DoesNotExist' },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
        { key: 'team', operator: 'Exists' },
      ],
    });
    assert.equal(sel.matches({ app: 'web', tier: 'back', team: 'x' }), true);
    assert.equal(sel.matches({ app: 'web', tier: 'back', team: 'x', legacy: '1' }), false);
    assert.equal(sel.matches({ app: 'web', tier: 'back' }), false);
    assert.equal(sel.toString(), 'app=web,env notin (prod),!legacy,team,tier in (back,front)');
  });
  it('rejects bad operators and empty In values', () => {
    assert.throws(() => labelSelectorFromSpec({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }), {
      code: 'KLOOP_INVALID_SELECTOR',
    });
    assert.throws(() => labelSelectorFromSpec({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), {
      code: 'KLOOP_INVALID_SELECTOR',
    });
    assert.throws(
      () => labelSelectorFromSpec({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }),
      { code: 'KLOOP_INVALID_SELECTOR' },
    );
  });
});

describe('parseFieldSelector', () => {
  const fields: Record<string, string> = { 'metadata.name': 'a', 'status.phase': 'Running', 'spec.x': 'a,b=c' };
  const get = (f: string) => fields[f];
  const cases: [string, boolean][] = [
    ['', true],
    ['metadata.name=a', true],
    ['metadata.name==a', true],
    ['metadata.name!=a', false],
    ['metadata.name=a,status.phase!=Pending', true],
    ['metadata.name=a,status.phase=Pending', false],
    ['spec.x=a\\,b\\=c', true],
    ['spec.missing=', true],
    ['spec.missing!=', false],
  ];
  for (const [text, want] of cases) {
    it(`${JSON.stringify(text)} -> ${want}`, () => assert.equal(parseFieldSelector(text).matches(get), want));
  }
  it('parses requirements and prints them escaped', () => {
    const sel = parseFieldSelector('a==x,b!=y\\,z');
    assert.deepEqual(sel.requirements, [
      { field: 'a', operator: '=', value: 'x' },
      { field: 'b', operator: '!=', value: 'y,z' },
    ]);
    assert.equal(sel.toString(), 'a=x,b!=y\\,z');
  });
  it('rejects terms without an operator and bad escapes', () => {
    assert.throws(() => parseFieldSelector('metadata.name'), { code: 'KLOOP_INVALID_SELECTOR' });
    assert.throws(() => parseFieldSelector('a=b\\q'), { code: 'KLOOP_INVALID_SELECTOR' });
    assert.throws(() => parseFieldSelector('a=b=c'), { code: 'KLOOP_INVALID_SELECTOR' });
  });
});

describe('parseLabelSelector: property', () => {
  const key = fc.constantFrom('a', 'b', 'app.kubernetes.io/name', 'x-y_z.w');
  const value = fc.constantFrom('', 'v', 'v1', 'a.b-c_d');
  const num = fc.integer({ min: -5, max: 5 }).map(String);
  const req = fc.oneof(
    fc.tuple(key, fc.constantFrom('=', '==', '!='), value).map(([k, op, v]) => `${k}${op}${v}`),
    fc
      .tuple(
        key,
        fc.constantFrom('in', 'notin'),
        fc.array(fc.constantFrom('v', 'v1', 'a.b-c_d'), { minLength: 1, maxLength: 3 }),
      )
      .map(([k, op, vs]) => `${k} ${op} (${vs.join(',')})`),
    key,
    key.map((k) => `!${k}`),
    // Gt/Lt values are label values too, so Kubernetes takes no sign (`a>-1` is rejected).
    fc
      .tuple(key, fc.constantFrom('>', '<'), fc.integer({ min: 0, max: 5 }).map(String))
      .map(([k, op, n]) => `${k}${op}${n}`),
  );
  const labels = fc.dictionary(key, fc.oneof(value, num), { maxKeys: 4 });
  it('toString round-trips and matches like the original', () => {
    fc.assert(
      fc.property(fc.array(req, { maxLength: 4 }), labels, (reqs, ls) => {
        const sel = parseLabelSelector(reqs.join(','));
        const again = parseLabelSelector(sel.toString());
        assert.equal(again.toString(), sel.toString());
        assert.equal(again.matches(ls), sel.matches(ls));
      }),
      { numRuns: 300 },
    );
  });
});

// Differences from apimachinery's labels.Parse found in review, each named after what broke.
describe('parseLabelSelector: as apimachinery parses values', () => {
  it("'in' and 'notin' are plain values after an operator and inside a set", () => {
    assert.equal(parseLabelSelector('env=in').matches({ env: 'in' }), true);
    assert.equal(parseLabelSelector('env!=notin').matches({ env: 'notin' }), false);
    assert.equal(parseLabelSelector('env in (in,notin)').matches({ env: 'notin' }), true);
    assert.equal(parseLabelSelector('env in (in,notin)').toString(), 'env in (in,notin)');
  });
  it('Gt and Lt values must be valid label values too: no sign', () => {
    for (const text of ['n>+5', 'n>-5', 'n<-1', 'n>99999999999999999999']) {
      assert.throws(() => parseLabelSelector(text), { code: 'KLOOP_INVALID_SELECTOR' }, text);
    }
  });
  it('Gt and Lt compare 64-bit integers exactly and ignore values that do not parse as one', () => {
    assert.equal(parseLabelSelector('n>9007199254740992').matches({ n: '9007199254740993' }), true);
    assert.equal(parseLabelSelector('n<9007199254740993').matches({ n: '9007199254740992' }), true);
    assert.equal(parseLabelSelector('n>1').matches({ n: '99999999999999999999' }), false);
    assert.equal(parseLabelSelector('n>1').matches({ n: '007' }), true);
  });
});

describe('parseFieldSelector: as apimachinery splits terms', () => {
  it('finds the operator at the first position where one starts, escapes in the field name or not', () => {
    // fields.splitTerm does not skip escapes: `a\=b=c` is field `a\`, value `b=c` (unescaped '=').
    assert.throws(() => parseFieldSelector('a\\=b=c'), { code: 'KLOOP_INVALID_SELECTOR' });
    assert.deepEqual(parseFieldSelector('a!=b\\=c').requirements, [{ field: 'a', operator: '!=', value: 'b=c' }]);
  });
});
