// x-kubernetes-validations as apiextensions evaluates them (schema/cel/validation.go), with the
// texts of Kubernetes 1.33 (the schema type as the shown value: `Invalid value: "object"`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CostMeter, compileExpression } from '../../src/resources/cel/environment.js';
import { toCelValue } from '../../src/resources/cel/values.js';
import {
  compileRuleValidator,
  fieldErrorString,
  type JSONSchemaProps,
  type ValidationRule,
} from '../../src/resources/index.js';
import { CEL_CORPUS } from './cel-corpus.js';
import { createErrors, rootWith, updateResult, widget } from './helpers.js';

const spec = (rules: ValidationRule[], props: Record<string, JSONSchemaProps> = {}): JSONSchemaProps => ({
  type: 'object',
  properties: { min: { type: 'integer' }, max: { type: 'integer' }, name: { type: 'string' }, ...props },
  'x-kubernetes-validations': rules,
});

describe('rule results and messages', () => {
  it('a failing rule without message: failed rule: <rule>', () => {
    assert.deepEqual(createErrors(rootWith(spec([{ rule: 'self.min <= self.max' }])), widget({ min: 5, max: 1 })), [
      'spec: Invalid value: "object": failed rule: self.min <= self.max',
    ]);
  });
  it('message', () => {
    assert.deepEqual(
      createErrors(
        rootWith(spec([{ rule: 'self.min <= self.max', message: 'min must not exceed max' }])),
        widget({ min: 5, max: 1 }),
      ),
      ['spec: Invalid value: "object": min must not exceed max'],
    );
  });
  it('messageExpression', () => {
    const rules = [
      {
        rule: 'self.min <= self.max',
        messageExpression: "'min ' + string(self.min) + ' exceeds max ' + string(self.max)",
      },
    ];
    assert.deepEqual(createErrors(rootWith(spec(rules)), widget({ min: 5, max: 1 })), [
      'spec: Invalid value: "object": min 5 exceeds max 1',
    ]);
  });
  it('a messageExpression giving an empty string falls back to the message', () => {
    const rules = [{ rule: 'false', message: 'fallback', messageExpression: "''" }];
    assert.deepEqual(createErrors(rootWith(spec(rules)), widget({})), ['spec: Invalid value: "object": fallback']);
  });
  it('reason FieldValueForbidden, FieldValueRequired, FieldValueDuplicate', () => {
    const r = (reason: ValidationRule['reason']) =>
      createErrors(rootWith(spec([{ rule: 'false', message: 'no', reason }])), widget({}));
    assert.deepEqual(r('FieldValueForbidden'), ['spec: Forbidden: no']);
    assert.deepEqual(r('FieldValueRequired'), ['spec: Required value: no']);
    assert.deepEqual(r('FieldValueDuplicate'), ['spec: Duplicate value: "object"']);
    assert.deepEqual(r('FieldValueInvalid'), ['spec: Invalid value: "object": no']);
  });
  it('fieldPath moves the error to the field named', () => {
    const rules = [{ rule: 'self.min <= self.max', message: 'too small', fieldPath: '.max' }];
    assert.deepEqual(createErrors(rootWith(spec(rules)), widget({ min: 5, max: 1 })), [
      'spec.max: Invalid value: "object": too small',
    ]);
  });
  it('rules on scalars show their type', () => {
    const s = spec([], { name: { type: 'string', 'x-kubernetes-validations': [{ rule: "self.startsWith('a')" }] } });
    assert.deepEqual(createErrors(rootWith(s), widget({ name: 'b' })), [
      'spec.name: Invalid value: "string": failed rule: self.startsWith(\'a\')',
    ]);
  });
  it('root rules see the object, metadata.name included', () => {
    const schema = rootWith(spec([]), {
      'x-kubernetes-validations': [{ rule: "self.metadata.name.startsWith('w') && self.spec.min > 0", message: 'bad' }],
    });
    assert.deepEqual(createErrors(schema, widget({ min: 0 })), ['<nil>: Invalid value: "object": bad']);
  });
  it('rules inside list items and map values', () => {
    const s = spec([], {
      items: {
        type: 'array',
        items: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self % 2 == 0', message: 'even' }] },
      },
      labels: {
        type: 'object',
        additionalProperties: {
          type: 'string',
          'x-kubernetes-validations': [{ rule: 'self != ""', message: 'empty' }],
        },
      },
    });
    assert.deepEqual(createErrors(rootWith(s), widget({ items: [2, 3], labels: { a: '' } })), [
      'spec.items[1]: Invalid value: "integer": even',
      'spec.labels[a]: Invalid value: "string": empty',
    ]);
  });
  it('a runtime error: <err> evaluating rule: <rule>', () => {
    assert.deepEqual(createErrors(rootWith(spec([{ rule: 'self.name.size() > 0' }])), widget({ min: 1 })), [
      'spec: Invalid value: "object": no such key: name evaluating rule: self.name.size() > 0',
    ]);
  });
  it('no such overload', () => {
    assert.deepEqual(createErrors(rootWith(spec([{ rule: 'self.name + 1 > 0' }])), widget({ name: 'a' })), [
      'spec: Invalid value: "object": \'no such overload\': call arguments did not match a supported operator, function or macro signature for rule: self.name + 1 > 0',
    ]);
  });
  it('property names are escaped as Kubernetes does', () => {
    const s = spec([{ rule: "self.__namespace__ == 'x' && self.foo__dash__bar == 1" }], {
      namespace: { type: 'string' },
      'foo-bar': { type: 'integer' },
    });
    assert.deepEqual(createErrors(rootWith(s), widget({ namespace: 'x', 'foo-bar': 1 })), []);
  });
  it('number fields are doubles, integer fields ints (cross-type comparison works)', () => {
    const s = spec(
      [{ rule: 'self.ratio > 0.5 && self.min > 0.5 && type(self.ratio) == double && type(self.min) == int' }],
      { ratio: { type: 'number' } },
    );
    assert.deepEqual(createErrors(rootWith(s), widget({ ratio: 1, min: 1 })), []);
  });
  it('date-time strings are timestamps', () => {
    const s = spec([{ rule: "self.at > timestamp('2020-01-01T00:00:00Z')" }], {
      at: { type: 'string', format: 'date-time' },
    });
    assert.deepEqual(createErrors(rootWith(s), widget({ at: '2024-01-01T00:00:00Z' })), []);
  });
});

describe('blocking errors skip rules', () => {
  it('a type error stops CEL with the notice', () => {
    const s = spec([{ rule: 'self.min <= self.max' }]);
    assert.deepEqual(createErrors(rootWith(s), widget({ min: 'x', max: 1 })), [
      'spec.min: Invalid value: "string": spec.min in body must be of type integer: "string"',
      '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
  });
  it('a maximum error (Invalid) does not block', () => {
    const s = spec([{ rule: 'self.min <= self.max' }], { min: { type: 'integer', maximum: 3 } });
    assert.deepEqual(createErrors(rootWith(s), widget({ min: 5, max: 1 })), [
      'spec.min: Invalid value: 5: spec.min in body should be less than or equal to 3',
      'spec: Invalid value: "object": failed rule: self.min <= self.max',
    ]);
  });
});

describe('transition rules', () => {
  const immutable = rootWith(
    spec([], {
      name: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'name is immutable' }] },
    }),
  );
  it('are skipped on create', () => {
    assert.deepEqual(createErrors(immutable, widget({ name: 'a' })), []);
  });
  it('compare with the old value on update', () => {
    assert.deepEqual(updateResult(immutable, widget({ name: 'b' }), widget({ name: 'a' })).errors, [
      'spec.name: Invalid value: "string": name is immutable',
    ]);
    assert.deepEqual(updateResult(immutable, widget({ name: 'a' }), widget({ name: 'a' })).errors, []);
  });
  it('are skipped when the field was absent before', () => {
    assert.deepEqual(updateResult(immutable, widget({ name: 'b' }), widget({})).errors, []);
  });
  it('optionalOldSelf evaluates on create with oldSelf as none', () => {
    const s = rootWith(
      spec([], {
        name: {
          type: 'string',
          'x-kubernetes-validations': [
            {
              rule: "oldSelf.hasValue() ? self == oldSelf.value() : self.startsWith('a')",
              optionalOldSelf: true,
              message: 'bad',
            },
          ],
        },
      }),
    );
    assert.deepEqual(createErrors(s, widget({ name: 'b' })), ['spec.name: Invalid value: "string": bad']);
    assert.deepEqual(createErrors(s, widget({ name: 'abc' })), []);
    assert.deepEqual(updateResult(s, widget({ name: 'x' }), widget({ name: 'abc' })).errors, [
      'spec.name: Invalid value: "string": bad',
    ]);
  });
  it('map-list items see their old item by key', () => {
    const s = rootWith(
      spec([], {
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string' }, port: { type: 'integer' } },
            'x-kubernetes-validations': [{ rule: 'self.port == oldSelf.port', message: 'port is immutable' }],
          },
        },
      }),
    );
    const old = widget({
      ports: [
        { name: 'a', port: 1 },
        { name: 'b', port: 2 },
      ],
    });
    const next = widget({
      ports: [
        { name: 'b', port: 2 },
        { name: 'a', port: 9 },
        { name: 'c', port: 3 },
      ],
    });
    assert.deepEqual(updateResult(s, next, old).errors, ['spec.ports[1]: Invalid value: "object": port is immutable']);
  });
});

describe('ratcheting of rules', () => {
  it('a failing rule on an unchanged value is a warning, not an error', () => {
    const s = rootWith(
      spec([], {
        name: {
          type: 'string',
          'x-kubernetes-validations': [{ rule: "self.startsWith('a')", message: 'starts with a' }],
        },
      }),
    );
    const r = updateResult(s, widget({ name: 'b', min: 2 }), widget({ name: 'b', min: 1 }));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, ['spec.name: Invalid value: "string": starts with a']);
  });
});

describe('cost limits', () => {
  it('a rule over the per-call limit stops with upstream text', () => {
    const s = spec([{ rule: 'self.items.all(x, self.items.all(y, x != y || x == y))', message: 'never' }], {
      items: { type: 'array', items: { type: 'integer' } },
    });
    const items = Array.from({ length: 1500 }, (_, i) => i);
    assert.deepEqual(createErrors(rootWith(s), widget({ items })), [
      'spec: Invalid value: "object": \'operation cancelled: actual cost limit exceeded\': no further validation rules will be run due to call cost exceeds limit for rule: never',
    ]);
  });
  it('the meter counts evaluation steps (so cel-js internals still fit the wrapping)', () => {
    const meter = new CostMeter(1_000_000);
    compileExpression('self.all(x, x > 0)').evaluate({ self: [1n, 2n, 3n] }, meter);
    assert.ok(meter.used > 3 && meter.used < 100, `used ${meter.used}`);
  });
});

describe('compile errors at evaluation', () => {
  it('a rule that does not compile is reported on every write', () => {
    const v = compileRuleValidator(rootWith(spec([{ rule: 'self.min <=' }])), true);
    const errors = v.validate(widget({ min: 1 })).errors.map(fieldErrorString);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /^spec: Invalid value: "object": rule compile error: compilation failed: /);
  });
});

describe('Kubernetes CEL libraries', () => {
  const evaluate = (rule: string, self: unknown): unknown =>
    compileExpression(rule).evaluate({ self: toCelValue(self, undefined) }, new CostMeter(1e6));
  const LIBS: [string, unknown, unknown][] = [
    [
      'self.isSorted() && self.sum() == 6 && self.min() == 1 && self.max() == 3 && self.indexOf(2) == 1 && self.lastIndexOf(3) == 2',
      [1, 2, 3],
      true,
    ],
    [
      "self.find('[0-9]+') == '123' && self.findAll('[a-z]') == ['a', 'b', 'c'] && self.findAll('[a-z]', 1) == ['a']",
      'ab123c',
      true,
    ],
    [
      "url(self).getScheme() == 'https' && url(self).getHost() == 'example.com:8443' && url(self).getHostname() == 'example.com' && url(self).getPort() == '8443' && url(self).getEscapedPath() == '/a' && url(self).getQuery()['b'] == ['c']",
      'https://example.com:8443/a?b=c',
      true,
    ],
    ['isURL(self)', 'not a url', false],
    [
      "quantity(self).isGreaterThan(quantity('1Gi')) && quantity(self).add(quantity('1Gi')).compareTo(quantity('3Gi')) == 0 && quantity(self).asInteger() == 2147483648 && quantity('1.5').isInteger() == false && quantity('-1').sign() == -1 && isQuantity('1e3')",
      '2Gi',
      true,
    ],
    [
      "self.charAt(1) == 'b' && self.replace('a', 'x', 1) == 'xbca' && self.lowerAscii() == 'abca' && strings.quote('a\"b') == '\"a\\\\\"b\"' && '%s-%d'.format(['x', 3]) == 'x-3'",
      'abca',
      true,
    ],
    [
      "sets.contains(self, ['a']) && sets.equivalent(['a', 'b'], ['b', 'a']) && sets.intersects(self, ['z', 'b']) && !sets.contains(self, ['q'])",
      ['a', 'b'],
      true,
    ],
    [
      "ip(self).family() == 6 && ip('127.0.0.1').isLoopback() && ip('169.254.1.1').isLinkLocalUnicast() && ip('8.8.8.8').isGlobalUnicast() && !ip('0.0.0.0').isGlobalUnicast() && ip.isCanonical('10.0.0.1') && !ip.isCanonical('2001:DB8::1') && string(ip('2001:db8:0:0:0:0:0:1')) == '2001:db8::1'",
      '::1',
      true,
    ],
    [
      "cidr(self).containsIP('10.1.2.3') && cidr(self).containsCIDR('10.1.0.0/16') && cidr(self).prefixLength() == 8 && string(cidr('10.1.2.3/8').masked()) == '10.0.0.0/8' && string(cidr(self).ip()) == '10.0.0.0' && isCIDR('fd00::/64') && !isCIDR('10.0.0.0/33')",
      '10.0.0.0/8',
      true,
    ],
    [
      "!format.dns1123Label().validate(self).hasValue() && format.dns1123Label().validate('Bad_Name').value().size() == 1 && format.named('dns1035Label').hasValue() && !format.named('nope').hasValue()",
      'good-name',
      true,
    ],
    [
      "semver(self).isGreaterThan(semver('1.2.3')) && semver(self).major() == 1 && semver(self).minor() == 10 && semver('v1.2', true).compareTo(semver('1.2.0')) == 0 && !isSemver('1.2')",
      '1.10.0',
      true,
    ],
    ["self.?a.orValue('d') == 'd' && optional.of(1).hasValue() && !optional.none().hasValue()", {}, true],
    ["self.matches('^(?i)abc$') && 'a.c'.matches('^a\\\\.c$') && !'abc'.matches('^a\\\\.c$')", 'ABC', true],
    ['cel.bind(n, self.size(), n > 1 && n < 3)', 'ab', true],
  ];
  for (const [rule, self, want] of LIBS) {
    it(rule.slice(0, 70), () => assert.equal(evaluate(rule, self), want));
  }
  it('library errors carry upstream texts', () => {
    const message = (rule: string, self: unknown) => {
      try {
        evaluate(rule, self);
        return 'no error';
      } catch (err) {
        return (err as Error).message;
      }
    };
    assert.equal(message('quantity(self)', '1.5.3'), "unable to parse quantity's suffix");
    assert.equal(message('[].min()', null), 'min called on empty list');
    assert.equal(
      message('ip(self)', '1.2.3'),
      'IP Address "1.2.3" parse error during conversion from string: ParseAddr("1.2.3"): unable to parse IP',
    );
    assert.equal(message('ip(self)', '::ffff:1.2.3.4'), 'IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed');
    assert.equal(
      message('url(self)', 'relative/path'),
      'URL parse error during conversion from string: parse "relative/path": invalid URI for request',
    );
    assert.equal(message("self.find('[')", 'x'), 'Illegal regex: error parsing regexp: missing closing ]: `[`');
    assert.equal(message('quantity(self).asInteger()', '1.5'), 'cannot convert value to integer');
  });
});

describe('rules from public CRDs', () => {
  for (const c of CEL_CORPUS) {
    it(`${c.source}: ${c.rule.slice(0, 60)}`, () => {
      const program = compileExpression(c.rule);
      for (const t of c.cases) {
        const self = toCelValue(t.self, undefined);
        const oldSelf = t.oldSelf === undefined ? undefined : toCelValue(t.oldSelf, undefined);
        assert.equal(program.evaluate({ self, oldSelf }, new CostMeter(1e6)), t.expect, JSON.stringify(t.self));
      }
    });
  }
});
