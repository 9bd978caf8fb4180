// Every OpenAPI keyword apiextensions supports, one case per line, each asserting the message
// Kubernetes 1.33 gives (kube-openapi texts converted by apiextensions' kubeOpenAPIResultToFieldErrors).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JSONSchemaProps } from '../../src/resources/index.js';
import { createErrors, rootWith, updateResult, widget } from './helpers.js';

const field = (props: Record<string, JSONSchemaProps>, required?: string[]): JSONSchemaProps => ({
  type: 'object',
  properties: props,
  ...(required ? { required } : {}),
});

interface Case {
  readonly name: string;
  readonly schema: JSONSchemaProps;
  readonly spec: unknown;
  readonly errors: string[];
}

const CASES: Case[] = [
  {
    name: 'maximum',
    schema: field({ size: { type: 'integer', maximum: 10 } }),
    spec: { size: 50 },
    errors: ['spec.size: Invalid value: 50: spec.size in body should be less than or equal to 10'],
  },
  {
    name: 'exclusiveMaximum',
    schema: field({ size: { type: 'integer', maximum: 10, exclusiveMaximum: true } }),
    spec: { size: 10 },
    errors: ['spec.size: Invalid value: 10: spec.size in body should be less than 10'],
  },
  {
    name: 'minimum',
    schema: field({ size: { type: 'integer', minimum: 1 } }),
    spec: { size: 0 },
    errors: ['spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1'],
  },
  {
    name: 'exclusiveMinimum',
    schema: field({ size: { type: 'integer', minimum: 1, exclusiveMinimum: true } }),
    spec: { size: 1 },
    errors: ['spec.size: Invalid value: 1: spec.size in body should be greater than 1'],
  },
  {
    name: 'maximum on a float value prints the bound as Go %v',
    schema: field({ r: { type: 'number', maximum: 1000000 } }),
    spec: { r: 1000000.5 },
    errors: ['spec.r: Invalid value: 1.0000005e+06: spec.r in body should be less than or equal to 1e+06'],
  },
  {
    name: 'multipleOf',
    schema: field({ n: { type: 'integer', multipleOf: 5 } }),
    spec: { n: 7 },
    errors: ['spec.n: Invalid value: 7: spec.n in body should be a multiple of 5'],
  },
  {
    name: 'multipleOf (number)',
    schema: field({ n: { type: 'number', multipleOf: 0.5 } }),
    spec: { n: 0.7 },
    errors: ['spec.n: Invalid value: 0.7: spec.n in body should be a multiple of 0.5'],
  },
  {
    name: 'type integer given a string',
    schema: field({ size: { type: 'integer' } }),
    spec: { size: 'two' },
    errors: ['spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"'],
  },
  {
    name: 'type integer given a float',
    schema: field({ size: { type: 'integer' } }),
    spec: { size: 1.5 },
    errors: ['spec.size: Invalid value: "number": spec.size in body must be of type integer: "number"'],
  },
  {
    name: 'type object given an array',
    schema: field({ o: { type: 'object' } }),
    spec: { o: [] },
    errors: ['spec.o: Invalid value: "array": spec.o in body must be of type object: "array"'],
  },
  {
    name: 'type boolean',
    schema: field({ b: { type: 'boolean' } }),
    spec: { b: 'yes' },
    errors: ['spec.b: Invalid value: "string": spec.b in body must be of type boolean: "string"'],
  },
  {
    name: 'null in a nullable field is fine',
    schema: field({ s: { type: 'string', nullable: true } }),
    spec: { s: null },
    errors: [],
  },
  {
    name: 'null in a non-nullable field is pruned',
    schema: field({ s: { type: 'string' } }),
    spec: { s: null },
    errors: [],
  },
  {
    name: 'int-or-string',
    schema: field({ p: { 'x-kubernetes-int-or-string': true } }),
    spec: { p: true },
    errors: ['spec.p: Invalid value: "boolean": spec.p in body must be of type integer,string: "boolean"'],
  },
  {
    name: 'int-or-string accepts both',
    schema: field({ p: { 'x-kubernetes-int-or-string': true }, q: { 'x-kubernetes-int-or-string': true } }),
    spec: { p: 80, q: 'http' },
    errors: [],
  },
  {
    name: 'enum',
    schema: field({ mode: { type: 'string', enum: ['a', 'b'] } }),
    spec: { mode: 'x' },
    errors: ['spec.mode: Unsupported value: "x": supported values: "a", "b"'],
  },
  {
    name: 'enum of numbers',
    schema: field({ n: { type: 'integer', enum: [1, 2] } }),
    spec: { n: 3 },
    errors: ['spec.n: Unsupported value: 3: supported values: "1", "2"'],
  },
  {
    name: 'required',
    schema: field({ size: { type: 'integer' }, image: { type: 'string' } }, ['size', 'image']),
    spec: { size: 1 },
    errors: ['spec.image: Required value'],
  },
  {
    name: 'maxLength (runes, 1.33 wording)',
    schema: field({ name: { type: 'string', maxLength: 5 } }),
    spec: { name: 'héllo!' },
    errors: ['spec.name: Too long: may not be more than 5 bytes'],
  },
  {
    name: 'maxLength counts runes, not bytes',
    schema: field({ name: { type: 'string', maxLength: 5 } }),
    spec: { name: 'héllo' },
    errors: [],
  },
  {
    name: 'minLength',
    schema: field({ name: { type: 'string', minLength: 2 } }),
    spec: { name: 'a' },
    errors: ['spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long'],
  },
  {
    name: 'pattern',
    schema: field({ name: { type: 'string', pattern: '^[a-z]+$' } }),
    spec: { name: 'A' },
    errors: ['spec.name: Invalid value: "A": spec.name in body should match \'^[a-z]+$\''],
  },
  {
    name: 'pattern is RE2 (case-insensitive flag)',
    schema: field({ name: { type: 'string', pattern: '(?i)^[a-z]+$' } }),
    spec: { name: 'ABC' },
    errors: [],
  },
  {
    name: 'maxItems',
    schema: field({ list: { type: 'array', items: { type: 'string' }, maxItems: 3 } }),
    spec: { list: ['a', 'b', 'c', 'd'] },
    errors: ['spec.list: Too many: 4: must have at most 3 items'],
  },
  {
    name: 'minItems',
    schema: field({ list: { type: 'array', items: { type: 'string' }, minItems: 2 } }),
    spec: { list: ['a'] },
    errors: ['spec.list: Invalid value: 1: spec.list in body should have at least 2 items'],
  },
  {
    name: 'maxProperties',
    schema: field({ m: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 1 } }),
    spec: { m: { a: 'x', b: 'y' } },
    errors: ['spec.m: Too many: 2: must have at most 1 items'],
  },
  {
    name: 'minProperties',
    schema: field({ m: { type: 'object', additionalProperties: { type: 'string' }, minProperties: 2 } }),
    spec: { m: { a: 'x' } },
    errors: ['spec.m: Invalid value: 1: spec.m in body should have at least 2 properties'],
  },
  {
    name: 'additionalProperties schema (map values named with dots)',
    schema: field({ m: { type: 'object', additionalProperties: { type: 'integer' } } }),
    spec: { m: { a: 'x' } },
    errors: ['spec.m.a: Invalid value: "string": spec.m.a in body must be of type integer: "string"'],
  },
  {
    name: 'items',
    schema: field({ list: { type: 'array', items: { type: 'integer', maximum: 3 } } }),
    spec: { list: [1, 5] },
    errors: ['spec.list[1]: Invalid value: 5: spec.list[1] in body should be less than or equal to 3'],
  },
  {
    name: 'format date',
    schema: field({ d: { type: 'string', format: 'date' } }),
    spec: { d: '2024-02-30' },
    errors: ['spec.d: Invalid value: "2024-02-30": spec.d in body must be of type date: "2024-02-30"'],
  },
  {
    name: 'format date-time',
    schema: field({ t: { type: 'string', format: 'date-time' } }),
    spec: { t: 'yesterday' },
    errors: ['spec.t: Invalid value: "yesterday": spec.t in body must be of type date-time: "yesterday"'],
  },
  {
    name: 'format ipv4',
    schema: field({ ip: { type: 'string', format: 'ipv4' } }),
    spec: { ip: '300.1.1.1' },
    errors: ['spec.ip: Invalid value: "300.1.1.1": spec.ip in body must be of type ipv4: "300.1.1.1"'],
  },
  {
    name: 'format cidr',
    schema: field({ c: { type: 'string', format: 'cidr' } }),
    spec: { c: '10.0.0.0/33' },
    errors: ['spec.c: Invalid value: "10.0.0.0/33": spec.c in body must be of type cidr: "10.0.0.0/33"'],
  },
  {
    name: 'format uuid',
    schema: field({ u: { type: 'string', format: 'uuid' } }),
    spec: { u: 'nope' },
    errors: ['spec.u: Invalid value: "nope": spec.u in body must be of type uuid: "nope"'],
  },
  {
    name: 'format email',
    schema: field({ e: { type: 'string', format: 'email' } }),
    spec: { e: 'a@' },
    errors: ['spec.e: Invalid value: "a@": spec.e in body must be of type email: "a@"'],
  },
  {
    name: 'format duration',
    schema: field({ d: { type: 'string', format: 'duration' } }),
    spec: { d: 'soon' },
    errors: ['spec.d: Invalid value: "soon": spec.d in body must be of type duration: "soon"'],
  },
  {
    name: 'format byte',
    schema: field({ b: { type: 'string', format: 'byte' } }),
    spec: { b: 'not base64!' },
    errors: ['spec.b: Invalid value: "not base64!": spec.b in body must be of type byte: "not base64!"'],
  },
  {
    name: 'unknown formats are ignored (int32, k8s-short-name)',
    schema: field({ n: { type: 'integer', format: 'int32' }, s: { type: 'string', format: 'k8s-short-name' } }),
    spec: { n: 5000000000, s: 'A B' },
    errors: [],
  },
  {
    name: 'anyOf',
    schema: field({
      x: {
        type: 'object',
        properties: { a: { type: 'string' }, b: { type: 'string' } },
        anyOf: [{ required: ['a'] }, { required: ['b'] }],
      },
    }),
    spec: { x: {} },
    errors: [
      '<nil>: Invalid value: "": "spec.x" must validate at least one schema (anyOf)',
      'spec.x.a: Required value',
    ],
  },
  {
    name: 'oneOf (none valid)',
    schema: field({
      x: {
        type: 'object',
        properties: { a: { type: 'string' }, b: { type: 'string' } },
        oneOf: [{ required: ['a'] }, { required: ['b'] }],
      },
    }),
    spec: { x: {} },
    errors: [
      '<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found none valid',
      'spec.x.a: Required value',
    ],
  },
  {
    name: 'oneOf (two valid)',
    schema: field({
      x: {
        type: 'object',
        properties: { a: { type: 'string' }, b: { type: 'string' } },
        oneOf: [{ required: ['a'] }, { required: ['b'] }],
      },
    }),
    spec: { x: { a: '1', b: '2' } },
    errors: [
      '<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found 2 valid alternatives',
    ],
  },
  {
    name: 'allOf',
    schema: field({ n: { type: 'integer', allOf: [{ minimum: 1 }, { maximum: 5 }] } }),
    spec: { n: 9 },
    errors: [
      'spec.n: Invalid value: 9: spec.n in body should be less than or equal to 5',
      '<nil>: Invalid value: "": "spec.n" must validate all the schemas (allOf)',
    ],
  },
  {
    name: 'not',
    schema: field({ s: { type: 'string', not: { enum: ['forbidden'] } } }),
    spec: { s: 'forbidden' },
    errors: ['<nil>: Invalid value: "": "spec.s" must not validate the schema (not)'],
  },
  {
    name: 'default fills a missing field',
    schema: field({ size: { type: 'integer', default: 1, maximum: 0 } }),
    spec: {},
    errors: ['spec.size: Invalid value: 1: spec.size in body should be less than or equal to 0'],
  },
];

describe('schema keywords (1.33 messages)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      assert.deepEqual(createErrors(rootWith(c.schema), widget(c.spec)), c.errors);
    });
  }

  it('type meta is checked first', () => {
    const errs = createErrors(rootWith(field({})), {
      apiVersion: 'other/v1',
      kind: 'Gadget',
      metadata: { name: 'w' },
      spec: {},
    });
    assert.deepEqual(errs, [
      'kind: Invalid value: "Gadget": must be Widget',
      'apiVersion: Invalid value: "other/v1": must be test.example.com/v1',
    ]);
  });

  it('spec required at the root', () => {
    const errs = createErrors(rootWith(field({}), { required: ['spec'] }), {
      apiVersion: 'test.example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
    });
    assert.deepEqual(errs, ['spec: Required value']);
  });
});

describe('ratcheting of unchanged values (CRDValidationRatcheting)', () => {
  const schema = rootWith(field({ size: { type: 'integer', maximum: 10 }, name: { type: 'string', maxLength: 3 } }));
  it('an invalid value the update leaves alone is not reported', () => {
    const old = widget({ size: 50, name: 'a' });
    assert.deepEqual(updateResult(schema, widget({ size: 50, name: 'b' }), old).errors, []);
  });
  it('a changed invalid value is reported', () => {
    const old = widget({ size: 50, name: 'a' });
    assert.deepEqual(updateResult(schema, widget({ size: 51, name: 'a' }), old).errors, [
      'spec.size: Invalid value: 51: spec.size in body should be less than or equal to 10',
    ]);
  });
  it('map-list items ratchet by key, atomic list items do not', () => {
    const s = rootWith(
      field({
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string' }, port: { type: 'integer', maximum: 100 } },
          },
        },
        plain: { type: 'array', items: { type: 'integer', maximum: 100 } },
      }),
    );
    const old = widget({ ports: [{ name: 'a', port: 500 }], plain: [500] });
    const next = widget({
      ports: [
        { name: 'b', port: 1 },
        { name: 'a', port: 500 },
      ],
      plain: [1, 500],
    });
    assert.deepEqual(updateResult(s, next, old).errors, [
      'spec.plain[1]: Invalid value: 500: spec.plain[1] in body should be less than or equal to 100',
    ]);
  });
});
