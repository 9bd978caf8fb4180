// CRD admission's static CEL cost limits (apiextensions validation.go): the per-expression limit
// (10,000,000) on a rule's estimate times the cardinality of its node, the per-expression limit on
// messageExpressions, the total limit (100,000,000) with the expressions that contributed most,
// and the update ratchet for versions whose schema is unchanged. The verdicts of the "upstream:"
// cases are those of validation_test.go (TestValidateCustomResourceDefinitionValidation); the
// factors are computed from the same sources and are this estimator's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { costErrorMessage } from '../../src/resources/cel-cost-budget.js';
import {
  type CustomResourceDefinitionObject,
  checkStructural,
  defineResource,
  fieldErrorString,
  type JSONSchemaProps,
  K8s,
  Type,
  validateCustomResourceDefinition,
} from '../../src/resources/index.js';

const P = 'spec.versions[0].schema.openAPIV3Schema';
const HINT =
  '(try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)';
const ruleTooCostly = (path: string, factor: string) =>
  `${path}: Forbidden: estimated rule cost exceeds budget by factor of ${factor} ${HINT}`;
const contributed = (path: string) =>
  `${path}: Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema`;
const totalTooCostly = (factor: string) =>
  `${P}: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of ${factor} ${HINT}`;

function errors(schema: JSONSchemaProps): string[] {
  return checkStructural(schema).map(fieldErrorString);
}
const root = (properties: Record<string, JSONSchemaProps>): JSONSchemaProps => ({ type: 'object', properties });
const rule = (r: string, messageExpression?: string) => ({
  'x-kubernetes-validations': [{ rule: r, ...(messageExpression === undefined ? {} : { messageExpression }) }],
});
const REGEX_EACH = "self.all(x, x.matches('^[a-z]+$'))";
const items = (list: Partial<JSONSchemaProps>, item: Partial<JSONSchemaProps> = {}): JSONSchemaProps => ({
  type: 'array',
  ...list,
  items: { type: 'string', ...item },
  ...rule(REGEX_EACH),
});

describe('per-rule estimated cost', () => {
  it('a cheap rule passes', () => {
    assert.deepEqual(errors(root({ value: { type: 'integer', ...rule('self < 1024') } })), []);
  });

  it('a regex per element of an unbounded list is refused, and counts toward the total', () => {
    const at = `${P}.properties[items].x-kubernetes-validations[0].rule`;
    assert.deepEqual(errors(root({ items: items({}) })), [
      ruleTooCostly(at, 'more than 100x'),
      contributed(at),
      totalTooCostly('more than 100x'),
    ]);
  });

  it('maxItems alone leaves the unbounded strings: refused with the factor', () => {
    // 100 × (3 + ceil(3145727 × 0.1) × ceil(8 × 0.25) + 1) + 2 = 62,915,002
    assert.deepEqual(errors(root({ items: items({ maxItems: 100 }) })), [
      ruleTooCostly(`${P}.properties[items].x-kubernetes-validations[0].rule`, '6.3x'),
    ]);
  });

  it('maxItems and maxLength make it pass', () => {
    assert.deepEqual(errors(root({ items: items({ maxItems: 100 }, { maxLength: 64 }) })), []);
  });

  it('a rule on list items is multiplied by the bounds of every enclosing list', () => {
    const item: JSONSchemaProps = { type: 'string', maxLength: 100_000, ...rule("self.matches('^[a-z]+$')") };
    // Each evaluation: ceil(400001 × 0.1) × ceil(8 × 0.25) + 1 = 80,003.
    assert.deepEqual(errors(root({ l: { type: 'array', maxItems: 10, items: item } })), []);
    const nested = root({ l: { type: 'array', maxItems: 20, items: { type: 'array', maxItems: 10, items: item } } });
    assert.deepEqual(errors(nested), [
      ruleTooCostly(`${P}.properties[l].items.items.x-kubernetes-validations[0].rule`, '1.6x'),
    ]);
    // Under an unbounded list the cardinality is how many items fit in 3 MiB.
    const unbounded = root({ l: { type: 'array', items: { type: 'array', maxItems: 10, items: item } } });
    assert.equal(
      errors(unbounded)[0],
      ruleTooCostly(`${P}.properties[l].items.items.x-kubernetes-validations[0].rule`, 'more than 100x'),
    );
  });

  const nested = (key: JSONSchemaProps, outer: Partial<JSONSchemaProps> = {}, inner: Partial<JSONSchemaProps> = {}) =>
    root({
      value: {
        type: 'array',
        ...outer,
        items: {
          type: 'object',
          ...inner,
          additionalProperties: { type: 'object', required: ['key'], properties: { key } },
        },
        ...rule('self.all(x, x.all(y, x[y].key == x[y].key))'),
      },
    });
  const at = `${P}.properties[value].x-kubernetes-validations[0].rule`;

  it('upstream: forbid double-nested rule with no limit set', () => {
    assert.deepEqual(errors(nested({ type: 'string' })), [
      ruleTooCostly(at, 'more than 100x'),
      contributed(at),
      totalTooCostly('more than 100x'),
    ]);
  });
  it('upstream: forbid double-nested rule with one limit set', () => {
    assert.deepEqual(errors(nested({ type: 'string', maxLength: 10 })), [
      ruleTooCostly(at, 'more than 100x'),
      contributed(at),
      totalTooCostly('more than 100x'),
    ]);
  });
  it('upstream: allow double-nested rule with three limits set', () => {
    assert.deepEqual(errors(nested({ type: 'string', maxLength: 10 }, { maxItems: 10 }, { maxProperties: 10 })), []);
  });
  it('upstream: allow double-nested rule with one limit set on outermost array', () => {
    assert.deepEqual(errors(nested({ type: 'number' }, { maxItems: 4 })), []);
  });
});

describe('the total of a schema', () => {
  it('upstream: forbid validation rules where cost total exceeds total limit', () => {
    const contains = { type: 'string' as const, maxLength: 5000, ...rule("self.contains('keyword')") };
    const schema = root({
      list: { type: 'array', maxItems: 100_000, items: contains },
      map: { type: 'object', maxProperties: 1000, additionalProperties: contains },
      field: { type: 'integer', ...rule('self > 50 && self < 100') },
    });
    const list = `${P}.properties[list].items.x-kubernetes-validations[0].rule`;
    // 100,000 × 2,001 = 200,100,000 and 1,000 × 2,001 = 2,001,000; the integer rule is under 1% of the limit.
    assert.deepEqual(errors(schema), [
      ruleTooCostly(list, '20.0x'),
      contributed(list),
      contributed(`${P}.properties[map].additionalProperties.x-kubernetes-validations[0].rule`),
      totalTooCostly('2.0x'),
    ]);
  });

  it('names at most the four most expensive contributors', () => {
    const props: Record<string, JSONSchemaProps> = {};
    // Each: 100 × (3 + 62,915 ... ) under the per-rule limit, six of them over the total.
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) props[name] = items({ maxItems: 30 });
    const out = errors(root(props));
    assert.equal(out.filter((e) => e.includes('contributed to')).length, 4);
    assert.match(
      out.at(-1) ?? '',
      /estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of 1\.1\d+x/,
    );
  });
});

describe('messageExpression', () => {
  it('upstream: a messageExpression over the per-expression limit', () => {
    const schema = root({
      f: {
        type: 'array',
        items: { type: 'string' },
        ...rule('true', 'self[0] + self[1] + self[2] + self[3] + self[4] + self[5] + self[6] + self[7]'),
      },
    });
    // Below 1.5 the factor is printed with %f.
    assert.deepEqual(errors(schema), [
      `${P}.properties[f].x-kubernetes-validations[0].messageExpression: Forbidden: estimated messageExpression cost exceeds budget by factor of 1.101006x ${HINT}`,
    ]);
  });

  it('string(int) has no size bound, so concatenating it is refused (as the API server does)', () => {
    const schema = root({
      config: {
        type: 'object',
        properties: { attempts: { type: 'integer' } },
        ...rule('self.attempts >= 0', "'invalid attempts: ' + string(self.attempts)"),
      },
    });
    const at = `${P}.properties[config].x-kubernetes-validations[0].messageExpression`;
    assert.deepEqual(errors(schema), [
      `${at}: Forbidden: estimated messageExpression cost exceeds budget by factor of more than 100x ${HINT}`,
      contributed(at),
      totalTooCostly('more than 100x'),
    ]);
    const formatted = root({
      config: {
        type: 'object',
        properties: { attempts: { type: 'integer' } },
        ...rule('self.attempts >= 0', "'invalid attempts: %d'.format([self.attempts])"),
      },
    });
    assert.deepEqual(errors(formatted), []);
  });
});

describe('the factor as upstream prints it', () => {
  it('%f below 1.5, %.1f (half to even) up to 100, then "more than 100x"', () => {
    const factor = (cost: number) => /factor of (.*?) \(/.exec(costErrorMessage('x', cost, 10_000_000))?.[1];
    assert.equal(factor(10_078_125), '1.007812x');
    assert.equal(factor(14_999_999), '1.500000x');
    assert.equal(factor(22_500_000), '2.2x');
    assert.equal(factor(37_500_000), '3.8x');
    assert.equal(factor(1_000_000_000), '100.0x');
    assert.equal(factor(1_000_000_001), 'more than 100x');
  });
});

function crd(schema: JSONSchemaProps, description?: string): CustomResourceDefinitionObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.cost.kloop.dev' },
    spec: {
      group: 'cost.kloop.dev',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { ...schema, ...(description ? { description } : {}) } },
        },
      ],
    },
  };
}

describe('CRD update ratchet', () => {
  const costly = root({ items: items({ maxItems: 100 }) });
  const refusal = ruleTooCostly(`${P}.properties[items].x-kubernetes-validations[0].rule`, '6.3x');

  it('create is refused', () => {
    assert.deepEqual(validateCustomResourceDefinition(crd(costly)).map(fieldErrorString), [refusal]);
  });
  it('an update that leaves the version schema unchanged skips the per-expression limit', () => {
    assert.deepEqual(validateCustomResourceDefinition(crd(costly), crd(costly)), []);
  });
  it('an update that changes the schema is checked again', () => {
    assert.deepEqual(
      validateCustomResourceDefinition(crd(costly, 'now described'), crd(costly)).map(fieldErrorString),
      [refusal],
    );
  });
  it('the total limit applies to unchanged schemas too', () => {
    const over = root({ items: items({}) });
    const out = validateCustomResourceDefinition(crd(over), crd(over)).map(fieldErrorString);
    assert.deepEqual(out, [
      contributed(`${P}.properties[items].x-kubernetes-validations[0].rule`),
      totalTooCostly('more than 100x'),
    ]);
  });
});

describe('defineResource', () => {
  it('refuses a resource whose rules the API server would refuse', () => {
    assert.throws(
      () =>
        defineResource({
          group: 'cost.kloop.dev',
          version: 'v1',
          kind: 'Gadget',
          spec: Type.Object({ names: K8s.Rules(Type.Array(Type.String()), [REGEX_EACH]) }),
        }),
      /estimated rule cost exceeds budget by factor of more than 100x/,
    );
  });
  it('accepts it once the list and its strings are bounded', () => {
    const R = defineResource({
      group: 'cost.kloop.dev',
      version: 'v1',
      kind: 'Gadget',
      spec: Type.Object({
        names: K8s.Rules(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 }), [REGEX_EACH]),
      }),
    });
    assert.equal(R.kind, 'Gadget');
  });
});

describe('CRD admission cost estimate on deep schemas', () => {
  // Each rule's estimate needs the DeclType of its node; computing it afresh for every node with
  // rules walked the whole subtree each time, quadratic in depth (seconds for a few thousand
  // levels, well within a 3 MiB CRD). Counted by reads of `properties`, not by time.
  it('reads each node a bounded number of times when every level has a rule', () => {
    const depth = 300;
    let reads = 0;
    const counted = (node: JSONSchemaProps): JSONSchemaProps =>
      new Proxy(node, {
        get(target, key, receiver) {
          if (key === 'properties') reads++;
          return Reflect.get(target, key, receiver);
        },
      });
    let node: JSONSchemaProps = { type: 'string' };
    for (let i = 0; i < depth; i++) {
      node = counted({ type: 'object', properties: { a: node, b: { type: 'string' } }, ...rule('self == oldSelf') });
    }
    assert.deepEqual(errors(root({ spec: node })), []);
    assert.ok(reads < depth * 40, `${reads} reads of properties for ${depth} levels`);
  });
});
