// defineResource: definition -> object type -> resource type -> CRD, for every schema feature.
// The type-level checks (expectTypeOf) are checked by `tsc --noEmit`; the CRDs are inline snapshots.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectTypeOf } from 'expect-type';
import type { ObjectMeta, ResourceType } from '../../src/core/index.js';
import {
  defineResource,
  fieldErrorString,
  isResource,
  K8s,
  type ObjectOf,
  RESOURCE_BRAND,
  ResourceDefinitionError,
  Type,
} from '../../src/resources/index.js';

const API_VERSION = {
  type: 'string',
  description:
    'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
};
const KIND = {
  type: 'string',
  description:
    'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
};

const Memcached = defineResource({
  group: 'cache.example.com',
  version: 'v1alpha1',
  kind: 'Memcached',
  shortNames: ['mc'],
  categories: ['all'],
  spec: Type.Object({
    size: Type.Integer({ minimum: 1, maximum: 10, default: 1 }),
    image: Type.String(),
    mode: Type.Optional(Type.Union([Type.Literal('fast'), Type.Literal('safe')])),
  }),
  status: Type.Object({ readyReplicas: Type.Optional(Type.Integer()), selector: Type.Optional(Type.String()) }),
  validations: [
    {
      rule: 'self.spec.size <= 5 || (has(self.spec.mode) && self.spec.mode == "fast")',
      message: 'more than 5 needs mode fast',
    },
  ],
  printerColumns: [
    { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
    { name: 'Available', type: 'string', jsonPath: '.status.conditions[?(@.type=="Available")].status', priority: 1 },
  ],
  selectableFields: ['.spec.image'],
  scale: {
    specReplicasPath: '.spec.size',
    statusReplicasPath: '.status.readyReplicas',
    labelSelectorPath: '.status.selector',
  },
});

describe('defineResource: types', () => {
  it('the object type follows the schema', () => {
    type M = typeof Memcached.Object;
    expectTypeOf<M['apiVersion']>().toEqualTypeOf<'cache.example.com/v1alpha1'>();
    expectTypeOf<M['kind']>().toEqualTypeOf<'Memcached'>();
    expectTypeOf<M['metadata']>().toEqualTypeOf<ObjectMeta>();
    expectTypeOf<M['spec']>().toEqualTypeOf<{ size: number; image: string; mode?: 'fast' | 'safe' }>();
    expectTypeOf<M['status']>().toEqualTypeOf<{ readyReplicas?: number; selector?: string } | undefined>();
    expectTypeOf<ObjectOf<typeof Memcached>>().toEqualTypeOf<M>();
    // A wrong field is a type error.
    const spec: M['spec'] = {
      // @ts-expect-error size is a number
      size: 'x',
      image: 'a',
    };
    void spec;
  });
  it('the resource is a resource type with literal apiVersion and kind', () => {
    expectTypeOf(Memcached).toMatchTypeOf<ResourceType>();
    expectTypeOf(Memcached.apiVersion).toEqualTypeOf<'cache.example.com/v1alpha1'>();
    expectTypeOf(Memcached.kind).toEqualTypeOf<'Memcached'>();
  });
  it('Kubernetes helpers type their fields', () => {
    const R = defineResource({
      group: 'x.example.com',
      version: 'v1',
      kind: 'Thing',
      spec: Type.Optional(
        Type.Object({
          port: K8s.IntOrString(),
          ports: K8s.ListMap(Type.Object({ name: Type.String(), port: Type.Integer() }), ['name']),
          tags: K8s.ListSet(Type.String()),
          template: K8s.EmbeddedResource(),
          extra: K8s.PreserveUnknownFields(),
          ratio: K8s.Nullable(Type.Number()),
          level: K8s.Enum(['low', 'high']),
          memory: K8s.Quantity(),
          labels: Type.Record(Type.String(), Type.String()),
        }),
      ),
    });
    type T = typeof R.Object;
    expectTypeOf<NonNullable<T['spec']>['port']>().toEqualTypeOf<number | string>();
    expectTypeOf<NonNullable<T['spec']>['ports']>().toEqualTypeOf<{ name: string; port: number }[]>();
    expectTypeOf<NonNullable<T['spec']>['ratio']>().toEqualTypeOf<number | null>();
    expectTypeOf<NonNullable<T['spec']>['level']>().toEqualTypeOf<'low' | 'high'>();
    expectTypeOf<NonNullable<T['spec']>['labels']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<T>().toHaveProperty('spec');
    // spec is optional when written Type.Optional
    const ok: T = { apiVersion: 'x.example.com/v1', kind: 'Thing', metadata: {} };
    void ok;
    // @ts-expect-error ListMap keys must be item fields
    K8s.ListMap(Type.Object({ name: Type.String() }), ['nope']);
  });
});

describe('defineResource: resource type', () => {
  it('carries REST facts and a brand', () => {
    assert.equal(Memcached.apiVersion, 'cache.example.com/v1alpha1');
    assert.equal(Memcached.plural, 'memcacheds');
    assert.equal(Memcached.singular, 'memcached');
    assert.equal(Memcached.listKind, 'MemcachedList');
    assert.equal(Memcached.namespaced, true);
    assert.deepEqual(Memcached.subresources, ['status', 'scale']);
    assert.deepEqual(Memcached.shortNames, ['mc']);
    assert.equal(isResource(Memcached), true);
    assert.equal(isResource({ apiVersion: 'v1', kind: 'Pod' }), false);
    assert.equal((Memcached as unknown as Record<symbol, unknown>)[Symbol.for('kloop.resource')], true);
    assert.equal(RESOURCE_BRAND, Symbol.for('kloop.resource'));
  });
  it('reading .Object at run time says it is a type', () => {
    assert.throws(() => Memcached.Object, /Memcached.Object is a type/);
  });
  it('spreads and serialises as { apiVersion, kind }, like the built-in constants', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(Memcached)), {
      apiVersion: 'cache.example.com/v1alpha1',
      kind: 'Memcached',
    });
    assert.deepEqual({ ...Memcached }, { apiVersion: 'cache.example.com/v1alpha1', kind: 'Memcached' });
    assert.equal(Memcached.plural, 'memcacheds', 'the resource type fields are there to read');
  });
});

describe('defineResource: CRD', () => {
  it('generates the apiextensions.k8s.io/v1 CRD', () => {
    assert.deepEqual(Memcached.crd(), {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'memcacheds.cache.example.com' },
      spec: {
        group: 'cache.example.com',
        names: {
          kind: 'Memcached',
          listKind: 'MemcachedList',
          plural: 'memcacheds',
          singular: 'memcached',
          shortNames: ['mc'],
          categories: ['all'],
        },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1alpha1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  apiVersion: API_VERSION,
                  kind: KIND,
                  metadata: { type: 'object' },
                  spec: {
                    type: 'object',
                    required: ['size', 'image'],
                    properties: {
                      size: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
                      image: { type: 'string' },
                      mode: { type: 'string', enum: ['fast', 'safe'] },
                    },
                  },
                  status: {
                    type: 'object',
                    properties: { readyReplicas: { type: 'integer' }, selector: { type: 'string' } },
                  },
                },
                required: ['spec'],
                'x-kubernetes-validations': [
                  {
                    rule: 'self.spec.size <= 5 || (has(self.spec.mode) && self.spec.mode == "fast")',
                    message: 'more than 5 needs mode fast',
                  },
                ],
              },
            },
            subresources: {
              status: {},
              scale: {
                specReplicasPath: '.spec.size',
                statusReplicasPath: '.status.readyReplicas',
                labelSelectorPath: '.status.selector',
              },
            },
            additionalPrinterColumns: [
              { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
              {
                name: 'Available',
                type: 'string',
                jsonPath: '.status.conditions[?(@.type=="Available")].status',
                priority: 1,
              },
            ],
            selectableFields: [{ jsonPath: '.spec.image' }],
          },
        ],
      },
    });
  });

  it('writes every Kubernetes extension', () => {
    const R = defineResource({
      group: 'x.example.com',
      version: 'v1',
      kind: 'Thing',
      scope: 'Cluster',
      spec: Type.Object(
        {
          port: K8s.IntOrString({ default: 80 }),
          ports: K8s.ListMap(Type.Object({ name: Type.String(), port: Type.Integer() }), ['name']),
          tags: K8s.ListSet(Type.String(), { maxItems: 5 }),
          args: K8s.AtomicList(Type.String()),
          template: K8s.EmbeddedResource(),
          extra: K8s.PreserveUnknownFields(),
          selector: K8s.Atomic(Type.Object({ app: Type.Optional(Type.String()) })),
          ratio: K8s.Nullable(Type.Number({ exclusiveMinimum: 0 })),
          name: K8s.Rules(Type.String({ maxLength: 63 }), [
            K8s.Rule('self == oldSelf', { message: 'immutable', reason: 'FieldValueForbidden' }),
          ]),
          anything: Type.Unknown(),
          labels: Type.Record(Type.String(), Type.String()),
        },
        {
          'x-kubernetes-validations': [
            {
              rule: 'self.ports.size() <= 8',
              messageExpression: "'too many ports: %d'.format([self.ports.size()])",
              fieldPath: '.ports',
            },
          ],
        },
      ),
    });
    const spec = R.crd().spec.versions[0].schema!.openAPIV3Schema.properties!.spec;
    assert.equal(R.crd().spec.scope, 'Cluster');
    assert.deepEqual(spec, {
      type: 'object',
      required: [
        'port',
        'ports',
        'tags',
        'args',
        'template',
        'extra',
        'selector',
        'ratio',
        'name',
        'anything',
        'labels',
      ],
      properties: {
        port: { 'x-kubernetes-int-or-string': true, default: 80 },
        ports: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'port'],
            properties: { name: { type: 'string' }, port: { type: 'integer' } },
          },
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        },
        tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set', maxItems: 5 },
        args: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'atomic' },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
        },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        selector: { type: 'object', properties: { app: { type: 'string' } }, 'x-kubernetes-map-type': 'atomic' },
        ratio: { type: 'number', minimum: 0, exclusiveMinimum: true, nullable: true },
        name: {
          type: 'string',
          maxLength: 63,
          'x-kubernetes-validations': [
            { rule: 'self == oldSelf', message: 'immutable', reason: 'FieldValueForbidden' },
          ],
        },
        anything: { 'x-kubernetes-preserve-unknown-fields': true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
      'x-kubernetes-validations': [
        {
          rule: 'self.ports.size() <= 8',
          messageExpression: "'too many ports: %d'.format([self.ports.size()])",
          fieldPath: '.ports',
        },
      ],
    });
  });

  it('deprecated versions and the webhook stanza', () => {
    const R = defineResource({
      group: 'x.example.com',
      version: 'v1beta1',
      kind: 'Old',
      deprecated: true,
      deprecationWarning: 'use v1',
      spec: Type.Object({}),
    });
    const crd = R.crd({
      conversionWebhook: {
        conversionReviewVersions: ['v1'],
        clientConfig: { service: { namespace: 'ns', name: 'hook' } },
      },
    });
    assert.equal(crd.spec.versions[0].deprecated, true);
    assert.equal(crd.spec.versions[0].deprecationWarning, 'use v1');
    assert.deepEqual(crd.spec.conversion, {
      strategy: 'Webhook',
      webhook: { conversionReviewVersions: ['v1'], clientConfig: { service: { namespace: 'ns', name: 'hook' } } },
    });
  });
});

describe('defineResource: definitions the API server would refuse', () => {
  const refuse = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof ResourceDefinitionError);
      assert.equal(err.code, 'KLOOP_INVALID_RESOURCE_DEFINITION');
      return err.message;
    }
    assert.fail('no error');
  };
  it('a rule that does not compile', () => {
    const message = refuse(() =>
      defineResource({
        group: 'x.example.com',
        version: 'v1',
        kind: 'Bad',
        spec: Type.Object({}),
        validations: ['self.spec.size >'],
      }),
    );
    assert.match(
      message,
      /^CustomResourceDefinition\.apiextensions\.k8s\.io "bads\.x\.example\.com" is invalid: spec\.versions\[0\]\.schema\.openAPIV3Schema\.x-kubernetes-validations\[0\]\.rule: Invalid value: apiextensions\.ValidationRule\{Rule:"self\.spec\.size >"/,
    );
  });
  it('a group without a dot', () => {
    assert.match(
      refuse(() => defineResource({ group: 'local', version: 'v1', kind: 'Bad', spec: Type.Object({}) })),
      /spec\.group: Invalid value: "local": should be a domain with at least one dot/,
    );
  });
  it('a general union (not structural)', () => {
    assert.match(
      refuse(() =>
        defineResource({
          group: 'x.example.com',
          version: 'v1',
          kind: 'Bad',
          spec: Type.Object({ a: Type.Union([Type.String(), Type.Integer()]) }),
        }),
      ),
      /spec\.a: a union of schemas is not structural/,
    );
  });
  it('a default that breaks its own schema', () => {
    assert.match(
      refuse(() =>
        defineResource({
          group: 'x.example.com',
          version: 'v1',
          kind: 'Bad',
          spec: Type.Object({ a: Type.Integer({ maximum: 1, default: 5 }) }),
        }),
      ),
      /properties\[a\]\.default: Invalid value: 5: {2}in body should be less than or equal to 1/,
    );
  });
  it('a set of non-scalar items', () => {
    assert.match(
      refuse(() =>
        defineResource({
          group: 'x.example.com',
          version: 'v1',
          kind: 'Bad',
          spec: Type.Object({ s: K8s.ListSet(Type.Object({ a: Type.String() })) }),
        }),
      ),
      /must be atomic as item of a list with x-kubernetes-list-type=set/,
    );
  });
  it('a printer column with a bad JSONPath', () => {
    assert.match(
      refuse(() =>
        defineResource({
          group: 'x.example.com',
          version: 'v1',
          kind: 'Bad',
          spec: Type.Object({}),
          printerColumns: [{ name: 'X', type: 'string', jsonPath: 'spec.x' }],
        }),
      ),
      /additionalPrinterColumns\[0\]\.JSONPath: Invalid value: "spec\.x": must be a simple json path starting with \./,
    );
  });
});

describe('validators of defined resources', () => {
  it('validate with the server texts', () => {
    const v = Memcached.validator();
    const obj = {
      apiVersion: 'cache.example.com/v1alpha1',
      kind: 'Memcached',
      metadata: { name: 'x' },
      spec: { size: 50, image: 'a' },
    };
    v.applyDefaults(obj);
    assert.deepEqual(v.validateCreate(obj).errors.map(fieldErrorString), [
      'spec.size: Invalid value: 50: spec.size in body should be less than or equal to 10',
      '<nil>: Invalid value: "object": more than 5 needs mode fast',
    ]);
  });
});

describe('several versions with conversion', () => {
  const Spec1 = Type.Object({ replicas: Type.Integer(), image: Type.String() });
  const Spec2 = Type.Object({ scale: Type.Object({ replicas: Type.Integer() }), image: Type.String() });
  const Widget = defineResource({
    group: 'demo.example.com',
    kind: 'Widget',
    storage: 'v2',
    versions: {
      v1: { spec: Spec1, deprecated: true, deprecationWarning: 'demo.example.com/v1 Widget is deprecated; use v2' },
      v1beta1: { spec: Spec2, status: Type.Object({ ready: Type.Optional(Type.Boolean()) }), served: false },
      v2: { spec: Spec2, status: Type.Object({ ready: Type.Optional(Type.Boolean()) }) },
    },
    conversion: {
      v1: {
        toStorage: (o) => ({ ...o, spec: { scale: { replicas: o.spec.replicas }, image: o.spec.image } }),
        fromStorage: (o) => ({ ...o, spec: { replicas: o.spec.scale.replicas, image: o.spec.image } }),
      },
    },
  });
  it('types each version', () => {
    expectTypeOf<typeof Widget.Object>().toMatchTypeOf<{
      apiVersion: 'demo.example.com/v2';
      spec: { scale: { replicas: number } };
    }>();
    expectTypeOf<typeof Widget.versions.v1.Object>().toMatchTypeOf<{
      apiVersion: 'demo.example.com/v1';
      spec: { replicas: number };
    }>();
    expectTypeOf(Widget.versions.v1.apiVersion).toEqualTypeOf<'demo.example.com/v1'>();
  });
  it('the storage version is the resource type; every version is one too', () => {
    assert.equal(Widget.apiVersion, 'demo.example.com/v2');
    assert.equal(Widget.storageVersion, 'v2');
    assert.equal(Widget.versions.v1.apiVersion, 'demo.example.com/v1');
    assert.equal(Widget.versions.v1.deprecated, true);
    assert.equal(Widget.versions.v1beta1.served, false);
    assert.equal(isResource(Widget.versions.v1), true);
  });
  it('converts through the storage version', () => {
    const v1 = {
      apiVersion: 'demo.example.com/v1' as const,
      kind: 'Widget' as const,
      metadata: { name: 'w' },
      spec: { replicas: 3, image: 'nginx' },
    };
    const v2 = Widget.convert(v1, 'v2');
    assert.deepEqual(v2, {
      apiVersion: 'demo.example.com/v2',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { scale: { replicas: 3 }, image: 'nginx' },
    });
    assert.deepEqual(Widget.convert(v2, 'v1'), v1);
    // v1beta1 shares v2's schema: converting only changes apiVersion.
    assert.deepEqual(Widget.convert(v2, 'v1beta1'), { ...v2, apiVersion: 'demo.example.com/v1beta1' });
    assert.deepEqual(Widget.convert(v1, 'v1beta1').spec, { scale: { replicas: 3 }, image: 'nginx' });
    // the input is not modified
    assert.deepEqual(v1.spec, { replicas: 3, image: 'nginx' });
  });
  it('the CRD has every version and conversion None', () => {
    const crd = Widget.crd();
    assert.deepEqual(
      crd.spec.versions.map((v) => [v.name, v.served, v.storage, v.deprecated ?? false]),
      [
        ['v1', true, false, true],
        ['v1beta1', false, false, false],
        ['v2', true, true, false],
      ],
    );
    assert.deepEqual(crd.spec.conversion, { strategy: 'None' });
    assert.deepEqual(crd.spec.versions[2].subresources, { status: {} });
  });
  it('a version whose schema differs needs a converter', () => {
    assert.throws(
      () =>
        defineResource({
          group: 'demo.example.com',
          kind: 'W',
          storage: 'v2',
          versions: { v1: { spec: Spec1 }, v2: { spec: Spec2 } },
        }),
      /W v1: its schema differs from the storage version v2's; give conversion\.v1/,
    );
  });
  it('unknown versions are refused by convert', () => {
    assert.throws(
      () => Widget.convert({ apiVersion: 'other/v1' } as never, 'v2'),
      (e: Error & { code?: string }) => e.code === 'KLOOP_CONVERSION_FAILED',
    );
  });
});
