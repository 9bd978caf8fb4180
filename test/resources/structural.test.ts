// CRD schema admission (apiextensions validation.go and schema/validation.go): the errors and
// texts the API server answers a CRD with when its schema is not structural or misuses keywords.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkStructural, fieldErrorString, type JSONSchemaProps } from '../../src/resources/index.js';

const P = 'spec.versions[0].schema.openAPIV3Schema';
const root = (props: Record<string, JSONSchemaProps>, extra: Partial<JSONSchemaProps> = {}): JSONSchemaProps => ({
  type: 'object',
  properties: props,
  ...extra,
});
const errors = (schema: JSONSchemaProps, statusSubresource = false) =>
  checkStructural(schema, { statusSubresource }).map(fieldErrorString);

const CASES: [string, JSONSchemaProps, string[]][] = [
  [
    'a structural schema is accepted',
    root({ spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 } } } }),
    [],
  ],
  [
    'a field without type',
    root({ spec: { properties: { a: { type: 'string' } } } }),
    [`${P}.properties[spec].type: Required value: must not be empty for specified object fields`],
  ],
  [
    'array items without type',
    root({ list: { type: 'array', items: {} } }),
    [`${P}.properties[list].items.type: Required value: must not be empty for specified array items`],
  ],
  ['no type at the root', { properties: {} }, [`${P}.type: Required value: must not be empty at the root`]],
  [
    'a non-object root',
    { type: 'array', items: { type: 'string' } },
    [`${P}.type: Invalid value: "array": must be object at the root`],
  ],
  [
    'an array without items',
    root({ list: { type: 'array' } }),
    [`${P}.properties[list].items: Required value: must be specified`],
  ],
  [
    'additionalProperties at the root',
    { type: 'object', additionalProperties: { type: 'string' } },
    [`${P}.additionalProperties: Forbidden: must not be used at the root`],
  ],
  [
    'metadata with more than name and generateName',
    root({ metadata: { type: 'object', properties: { labels: { type: 'object' } } } }),
    [
      `${P}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
    ],
  ],
  [
    'metadata constraining name is allowed',
    root({ metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 20 } } } }),
    [],
  ],
  [
    'type inside anyOf',
    root({
      spec: { type: 'object', properties: { a: { type: 'string' } }, anyOf: [{ type: 'object', required: ['a'] }] },
    }),
    [`${P}.properties[spec].anyOf[0].type: Forbidden: must be empty to be structural`],
  ],
  [
    'default, description and nullable inside oneOf',
    root({ n: { type: 'integer', oneOf: [{ default: 1, description: 'x', nullable: true }] } }),
    [
      `${P}.properties[n].oneOf[0].default: Forbidden: must be undefined to be structural`,
      `${P}.properties[n].oneOf[0].description: Forbidden: must be empty to be structural`,
      `${P}.properties[n].oneOf[0].nullable: Forbidden: must be false to be structural`,
    ],
  ],
  [
    'x-kubernetes extensions inside not',
    root({
      s: {
        type: 'string',
        not: { 'x-kubernetes-int-or-string': true, 'x-kubernetes-validations': [{ rule: 'true' }] },
      },
    }),
    [
      `${P}.properties[s].not.x-kubernetes-int-or-string: Forbidden: must be false to be structural`,
      `${P}.properties[s].not.x-kubernetes-validations: Forbidden: must be empty to be structural`,
    ],
  ],
  [
    'metadata in a nested context',
    root({ o: { type: 'object', allOf: [{ properties: { metadata: {} } }] } }),
    [`${P}.properties[o].allOf[0].properties[metadata]: Forbidden: must not be specified in a nested context`],
  ],
  [
    'a field named only in anyOf (completeness)',
    { type: 'object', anyOf: [{ properties: { x: {} } }] },
    [`${P}.properties[x]: Required value: because it is defined in ${P}.anyOf[0].properties[x]`],
  ],
  [
    'uniqueItems',
    root({ l: { type: 'array', items: { type: 'string' }, uniqueItems: true } }),
    [
      `${P}.properties[l].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
    ],
  ],
  [
    'additionalProperties with properties',
    root({ o: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } } }),
    [`${P}.properties[o].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`],
  ],
  [
    'an unknown list type',
    root({ l: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'bag' } }),
    [`${P}.properties[l].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map"`],
  ],
  [
    'a list type on an object',
    root({ o: { type: 'object', 'x-kubernetes-list-type': 'set' } }),
    [`${P}.properties[o].type: Invalid value: "object": must be array if x-kubernetes-list-type is specified`],
  ],
  [
    'a map list without keys',
    root({
      l: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        items: { type: 'object', properties: { name: { type: 'string' } } },
      },
    }),
    [
      `${P}.properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
    ],
  ],
  [
    'a map-list key that is neither required nor defaulted',
    root({
      l: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: { type: 'object', properties: { name: { type: 'string' } } },
      },
    }),
    [
      `${P}.properties[l].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
    ],
  ],
  [
    'a map-list key that is not an item property',
    root({
      l: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['id'],
        items: { type: 'object', properties: { name: { type: 'string' } } },
      },
    }),
    [
      `${P}.properties[l].x-kubernetes-list-map-keys: Invalid value: []string{"id"}: entries must all be names of item properties`,
    ],
  ],
  [
    'a set of objects that are not atomic',
    root({
      l: {
        type: 'array',
        'x-kubernetes-list-type': 'set',
        items: { type: 'object', properties: { a: { type: 'string' } } },
      },
    }),
    [
      `${P}.properties[l].items.x-kubernetes-map-type: Invalid value: "null": must be atomic as item of a list with x-kubernetes-list-type=set`,
    ],
  ],
  [
    'an unknown map type',
    root({ o: { type: 'object', 'x-kubernetes-map-type': 'partial' } }),
    [`${P}.properties[o].x-kubernetes-map-type: Unsupported value: "partial": supported values: "atomic", "granular"`],
  ],
  [
    'int-or-string with preserve-unknown-fields',
    root({ p: { 'x-kubernetes-int-or-string': true, 'x-kubernetes-preserve-unknown-fields': true } }),
    [
      `${P}.properties[p].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true`,
    ],
  ],
  [
    'an embedded resource that is not an object',
    root({ e: { type: 'string', 'x-kubernetes-embedded-resource': true } }),
    [
      `${P}.properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
      `${P}.properties[e].type: Invalid value: "string": must be object if x-kubernetes-embedded-resource is true`,
    ],
  ],
  [
    'an embedded resource without properties or preserve-unknown-fields',
    root({ e: { type: 'object', 'x-kubernetes-embedded-resource': true } }),
    [
      `${P}.properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
    ],
  ],
  [
    'preserve-unknown-fields false',
    root({ o: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false } }),
    [`${P}.properties[o].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`],
  ],
  [
    'a pattern that is not RE2',
    root({ s: { type: 'string', pattern: 'a(?=b)' } }),
    [
      `${P}.properties[s].pattern: Invalid value: "a(?=b)": must be a valid regular expression, but isn't: error parsing regexp: invalid or unsupported Perl syntax: \`(?=\``,
    ],
  ],
  ['$ref', root({ s: { type: 'string', $ref: '#/x' } }), [`${P}.properties[s].$ref: Forbidden: $ref is not supported`]],
  [
    'type null',
    root({ n: { type: 'null' } }),
    [
      `${P}.properties[n].type: Unsupported value: "null": supported values: "array", "boolean", "integer", "number", "object", "string"`,
      `${P}.properties[n].type: Forbidden: type cannot be set to null, use nullable as an alternative`,
    ],
  ],
  [
    'an unknown type',
    root({ n: { type: 'int' } }),
    [
      `${P}.properties[n].type: Unsupported value: "int": supported values: "array", "boolean", "integer", "number", "object", "string"`,
    ],
  ],
  [
    'nullable at the root',
    { type: 'object', nullable: true },
    ['spec.versions[0].schema.openAPIV3Schema.nullable: Forbidden: nullable cannot be true at the root'],
  ],
  [
    'a default that breaks its schema',
    root({ size: { type: 'integer', maximum: 10, default: 50 } }),
    [`${P}.properties[size].default: Invalid value: 50:  in body should be less than or equal to 10`],
  ],
  [
    'a default with unknown fields',
    root({ o: { type: 'object', properties: { a: { type: 'string' } }, default: { a: 'x', b: 'y' } } }),
    [
      `${P}.properties[o].default: Invalid value: map[string]interface {}{"a":"x", "b":"y"}: must not have unknown fields`,
    ],
  ],
  [
    'a default in metadata',
    root({ metadata: { type: 'object', default: {} } }),
    [`${P}.properties[metadata].default: Forbidden: must not be set in top-level metadata`],
  ],
  [
    'a rule with an empty rule',
    root({ s: { type: 'string', 'x-kubernetes-validations': [{ rule: ' ' }] } }),
    [`${P}.properties[s].x-kubernetes-validations[0].rule: Required value: rule is not specified`],
  ],
  [
    'an unsupported reason',
    root({
      s: { type: 'string', 'x-kubernetes-validations': [{ rule: 'true', reason: 'Nope' as 'FieldValueInvalid' }] },
    }),
    [
      `${P}.properties[s].x-kubernetes-validations[0].reason: Unsupported value: "Nope": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"`,
    ],
  ],
  [
    'a fieldPath that names no field',
    root({
      o: {
        type: 'object',
        properties: { a: { type: 'string' } },
        'x-kubernetes-validations': [{ rule: 'true', fieldPath: '.b' }],
      },
    }),
    [`${P}.properties[o].x-kubernetes-validations[0].fieldPath: Invalid value: ".b": fieldPath must be a valid path`],
  ],
  [
    'oldSelf under a plain list',
    root({
      l: {
        type: 'array',
        maxItems: 100,
        items: { type: 'string', maxLength: 64, 'x-kubernetes-validations': [{ rule: 'self == oldSelf' }] },
      },
    }),
    [
      `${P}.properties[l].items.x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within ${P}.properties[l]`,
    ],
  ],
  [
    'optionalOldSelf without oldSelf',
    root({ s: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self != ""', optionalOldSelf: true }] } }),
    [
      `${P}.properties[s].x-kubernetes-validations[0].optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used in rule`,
    ],
  ],
  [
    'items as an array',
    root({ l: { type: 'array', items: [{ type: 'string' }] } }),
    [`${P}.properties[l].items: Forbidden: items must be a schema object and not an array`],
  ],
];

describe('CRD schema admission (upstream messages)', () => {
  for (const [name, schema, want] of CASES) it(name, () => assert.deepEqual(errors(schema), want));

  it('a rule that does not compile is refused with the rule shown as Go prints it', () => {
    const got = errors(root({ s: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self ==' }] } }));
    assert.equal(got.length, 1);
    assert.ok(
      got[0].startsWith(
        `${P}.properties[s].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self ==", Message:"", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: compilation failed: `,
      ),
      got[0],
    );
  });

  it('a rule whose result is not a bool, a messageExpression whose result is not a string', () => {
    const rule = (r: string, messageExpression?: string) =>
      errors(
        root({
          s: {
            type: 'string',
            'x-kubernetes-validations': [{ rule: r, ...(messageExpression ? { messageExpression } : {}) }],
          },
        }),
      );
    assert.deepEqual(rule("self + 'x'"), [
      `${P}.properties[s].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self + 'x'", Message:"", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: cel expression must evaluate to a bool`,
    ]);
    assert.deepEqual(rule("self == 'x'", 'size(self)'), [
      `${P}.properties[s].x-kubernetes-validations[0].messageExpression: Invalid value: apiextensions.ValidationRule{Rule:"self == 'x'", Message:"", MessageExpression:"size(self)", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: messageExpression must evaluate to a string`,
    ]);
    assert.deepEqual(rule("self == 'x'", "'got ' + self"), []);
  });

  it('a rule naming a field the schema does not declare is refused, as the typed compile refuses it', () => {
    const withRule = (rule: string, extra: Record<string, JSONSchemaProps> = {}) =>
      errors(
        root({
          o: {
            type: 'object',
            properties: { size: { type: 'integer' }, 'max-size': { type: 'integer' }, ...extra },
            'x-kubernetes-validations': [{ rule }],
          },
        }),
      );
    assert.deepEqual(withRule('self.sise > 1'), [
      `${P}.properties[o].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self.sise > 1", Message:"", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:1:5: undefined field 'sise'\n | self.sise > 1\n | ....^`,
    ]);
    assert.equal(withRule('!has(self.nope)').length, 1);
    // Declared fields (escaped names too), maps, preserved and int-or-string values, list items.
    const extra: Record<string, JSONSchemaProps> = {
      m: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string' } } } },
      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      n: { 'x-kubernetes-int-or-string': true },
      l: { type: 'array', items: { type: 'object', properties: { k: { type: 'string' } } } },
    };
    for (const rule of [
      'self.size <= self.max__dash__size',
      "!has(self.m.anything) || self.m.anything.v == 'x'",
      'self.free.whatever.deeper == 1',
      'self.l.all(x, x.k != "")',
      '!has(self.n) || self.n == 1',
    ]) {
      assert.deepEqual(withRule(rule, extra), [], rule);
    }
  });

  it('structural errors come sorted by message, as upstream sorts them', () => {
    const got = errors(root({ b: { properties: {} }, a: { properties: {} } }));
    assert.deepEqual(got, [
      `${P}.properties[a].type: Required value: must not be empty for specified object fields`,
      `${P}.properties[b].type: Required value: must not be empty for specified object fields`,
    ]);
  });

  it('with the status subresource, only some keywords are allowed at the root', () => {
    assert.deepEqual(
      errors({ type: 'object', properties: {}, 'x-kubernetes-map-type': 'atomic' }, true)
        .slice(0, 1)
        .map((e) => e.split(':')[0]),
      [P],
    );
  });

  it('int-or-string written as anyOf (controller-gen style) is structural', () => {
    assert.deepEqual(
      errors(root({ p: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } })),
      [],
    );
  });
});
