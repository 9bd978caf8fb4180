// The custom resource pipeline around the keyword checks: pruning, defaulting, list types,
// embedded resources, /status and /scale, and the 422 Status.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyDefaults,
  compileObjectValidator,
  fieldErrorString,
  invalidStatus,
  type JSONSchemaProps,
  pruneUnknownFields,
  validateEmbeddedResources,
  validateListTypes,
} from '../../src/resources/index.js';
import { createErrors, rootWith, updateResult, widget } from './helpers.js';

describe('pruning', () => {
  const schema = rootWith({
    type: 'object',
    properties: {
      a: { type: 'string' },
      free: {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        properties: { known: { type: 'object', properties: { x: { type: 'string' } } } },
      },
      list: { type: 'array', items: { type: 'object', properties: { k: { type: 'string' } } } },
      map: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string' } } } },
      embedded: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } },
    },
  });
  it('removes undeclared fields and reports their paths, sorted', () => {
    const obj = widget({
      a: 'x',
      b: 1,
      free: { anything: 1, known: { x: 'y', z: 2 } },
      list: [{ k: 'a', q: 1 }],
      map: { m: { v: 'a', w: 1 } },
      embedded: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {}, junk: 1 },
    });
    (obj as Record<string, unknown>).extra = true;
    assert.deepEqual(pruneUnknownFields(obj, schema), [
      'extra',
      'spec.b',
      'spec.embedded.junk',
      'spec.free.known.z',
      'spec.list[0].q',
      'spec.map.m.w',
    ]);
    assert.deepEqual(obj.spec, {
      a: 'x',
      free: { anything: 1, known: { x: 'y' } },
      list: [{ k: 'a' }],
      map: { m: { v: 'a' } },
      embedded: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} },
    });
    assert.deepEqual(obj.metadata, { name: 'w' });
  });
});

describe('pruning the metadata of embedded resources', () => {
  // apiextensions' objectmeta.Coerce decodes an embedded resource's metadata as an ObjectMeta:
  // fields ObjectMeta does not have are dropped (and reported as unknown), a zero
  // creationTimestamp is removed; with preserve-unknown-fields too.
  const schema = rootWith({
    type: 'object',
    properties: {
      open: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
      closed: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } },
      items: {
        type: 'array',
        items: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  });
  it('drops what ObjectMeta does not have and a null creationTimestamp', () => {
    const meta = () => ({ name: 'p', labels: { a: 'b' }, foo: 'bar', creationTimestamp: null });
    const obj = widget({
      open: { apiVersion: 'v1', kind: 'Pod', metadata: meta(), spec: { anything: 1 } },
      closed: { apiVersion: 'v1', kind: 'Pod', metadata: meta(), spec: {} },
      items: [{ apiVersion: 'v1', kind: 'Pod', metadata: meta() }],
    });
    assert.deepEqual(pruneUnknownFields(obj, schema), [
      'spec.closed.metadata.foo',
      'spec.items[0].metadata.foo',
      'spec.open.metadata.foo',
    ]);
    const kept = { name: 'p', labels: { a: 'b' } };
    assert.deepEqual(obj.spec, {
      open: { apiVersion: 'v1', kind: 'Pod', metadata: kept, spec: { anything: 1 } },
      closed: { apiVersion: 'v1', kind: 'Pod', metadata: kept, spec: {} },
      items: [{ apiVersion: 'v1', kind: 'Pod', metadata: kept }],
    });
  });
});

describe('defaulting', () => {
  it('fills missing fields top-down and replaces nulls in non-nullable fields', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          default: {},
          properties: {
            size: { type: 'integer', default: 1 },
            nested: { type: 'object', default: {}, properties: { x: { type: 'string', default: 'y' } } },
            keep: { type: 'string', nullable: true, default: 'z' },
            drop: { type: 'string' },
          },
        },
      },
    };
    const obj: Record<string, unknown> = { spec: { keep: null, drop: null } };
    applyDefaults(obj, schema);
    assert.deepEqual(obj, { spec: { keep: null, size: 1, nested: { x: 'y' } } });
    const empty: Record<string, unknown> = {};
    applyDefaults(empty, schema);
    assert.deepEqual(empty, { spec: { size: 1, nested: { x: 'y' }, keep: 'z' } });
  });
  it('a field named like an Object.prototype member is still a field', () => {
    const obj: Record<string, unknown> = {};
    applyDefaults(obj, { type: 'object', properties: { constructor: { type: 'string', default: 'x' } } });
    assert.deepEqual(Object.entries(obj), [['constructor', 'x']]);
  });
});

describe('list types', () => {
  const schema = rootWith({
    type: 'object',
    properties: {
      tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
      ports: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' }, port: { type: 'integer' } },
        },
      },
      pairs: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['a', 'b'],
        items: { type: 'object', required: ['a', 'b'], properties: { a: { type: 'string' }, b: { type: 'integer' } } },
      },
    },
  });
  it('reports set and map duplicates as the server does (1.33 renders maps with %#v)', () => {
    const obj = widget({
      tags: ['a', 'b', 'a', 'a'],
      ports: [
        { name: 'http', port: 1 },
        { name: 'http', port: 2 },
      ],
      pairs: [
        { a: 'x', b: 1 },
        { a: 'x', b: 1 },
      ],
    });
    assert.deepEqual(validateListTypes(schema, obj).map(fieldErrorString), [
      'spec.tags[2]: Duplicate value: "a"',
      'spec.ports[1]: Duplicate value: map[string]interface {}{"name":"http"}',
      'spec.pairs[1]: Duplicate value: map[string]interface {}{"a":"x", "b":1}',
    ]);
  });
  it('a non-object in a map list', () => {
    assert.deepEqual(validateListTypes(schema, widget({ ports: ['x'] })).map(fieldErrorString), [
      'spec.ports[0]: Invalid value: "x": must be an object for an array of list-type map',
    ]);
  });
  it('are ratcheted when the old object already had duplicates', () => {
    const old = widget({ tags: ['a', 'a'] });
    assert.deepEqual(
      validateListTypes(schema, widget({ tags: ['a', 'a', 'b', 'b'] }), { update: true, oldObject: old }),
      [],
    );
    assert.equal(
      validateListTypes(schema, widget({ tags: ['b', 'b'] }), { update: true, oldObject: widget({ tags: ['a'] }) })
        .length,
      1,
    );
  });
});

describe('embedded resources', () => {
  const schema: JSONSchemaProps = rootWith({
    type: 'object',
    properties: {
      template: {
        type: 'object',
        'x-kubernetes-embedded-resource': true,
        'x-kubernetes-preserve-unknown-fields': true,
      },
    },
  });
  it('need apiVersion and kind, and valid metadata', () => {
    assert.deepEqual(
      validateEmbeddedResources(
        schema,
        widget({ template: { metadata: { name: 'a/b', labels: { 'bad key!': 'x' } } } }),
      ).map(fieldErrorString),
      [
        'spec.template.apiVersion: Required value: must not be empty',
        'spec.template.kind: Required value: must not be empty',
        'spec.template.metadata.name: Invalid value: "a/b": may not contain \'/\'',
        "spec.template.metadata.labels: Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      ],
    );
    assert.deepEqual(
      validateEmbeddedResources(schema, widget({ template: { apiVersion: 'v1', kind: 'Pod_x' } })).map(
        fieldErrorString,
      ),
      [
        "spec.template.kind: Invalid value: \"Pod_x\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ],
    );
  });
  it('are checked by the create pipeline (Required blocks rules)', () => {
    assert.deepEqual(createErrors(schema, widget({ template: { apiVersion: 'v1', kind: 'Pod' } })), []);
  });
});

describe('/status and /scale', () => {
  const schema = rootWith({ type: 'object', properties: { replicas: { type: 'integer' } } }, { properties: undefined });
  schema.properties = {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: { type: 'object', properties: { replicas: { type: 'integer' } } },
    status: { type: 'object', properties: { replicas: { type: 'integer', maximum: 5 }, selector: { type: 'string' } } },
  };
  const v = compileObjectValidator({
    apiVersion: 'test.example.com/v1',
    kind: 'Widget',
    schema,
    scale: {
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.selector',
    },
  });
  it('status updates validate the status schema, reported under status with kube-openapi names', () => {
    const old = widget({ replicas: 1 }, { replicas: 1 });
    assert.deepEqual(
      v.validateStatusUpdate(widget({ replicas: 1 }, { replicas: 9 }), old).errors.map(fieldErrorString),
      ['status.replicas: Invalid value: 9: replicas in body should be less than or equal to 5'],
    );
  });
  it('scale paths must hold non-negative integers', () => {
    assert.deepEqual(v.validateCreate(widget({ replicas: -1 })).errors.map(fieldErrorString), [
      '.spec.replicas: Invalid value: -1: should be a non-negative integer',
    ]);
    assert.deepEqual(v.validateCreate(widget({ replicas: 3000000000 })).errors.map(fieldErrorString), [
      '.spec.replicas: Invalid value: 3000000000: should be less than or equal to 2147483647',
    ]);
    assert.deepEqual(v.validateCreate(widget({}, { selector: 5 })).errors.map(fieldErrorString), [
      'status.selector: Invalid value: "integer": status.selector in body must be of type string: "integer"',
      '.status.selector: Invalid value: "": .status.selector accessor error: 5 is of the type int64, expected string',
    ]);
  });
});

describe('the 422 Status', () => {
  it('one error', () => {
    const v = compileObjectValidator({
      apiVersion: 'test.example.com/v1',
      kind: 'Widget',
      schema: rootWith({ type: 'object', properties: { size: { type: 'integer', maximum: 10 } } }),
    });
    const status = invalidStatus(
      { group: 'test.example.com', kind: 'Widget', name: 'w' },
      v.validateCreate(widget({ size: 50 })).errors,
    );
    assert.deepEqual(status, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Widget.test.example.com "w" is invalid: spec.size: Invalid value: 50: spec.size in body should be less than or equal to 10',
      reason: 'Invalid',
      details: {
        name: 'w',
        group: 'test.example.com',
        kind: 'Widget',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: 50: spec.size in body should be less than or equal to 10',
            field: 'spec.size',
          },
        ],
      },
      code: 422,
    });
  });
  it('several errors in brackets, duplicates dropped from the message but kept as causes; core kinds without group', () => {
    const e = { type: 'FieldValueRequired' as const, field: 'spec.a', badValue: '', detail: '' };
    const status = invalidStatus({ group: '', kind: 'Pod', name: 'p' }, [e, e, { ...e, field: 'spec.b' }]);
    assert.equal(status.message, 'Pod "p" is invalid: [spec.a: Required value, spec.b: Required value]');
    assert.equal(status.details?.causes?.length, 3);
    assert.equal(status.details?.group, undefined);
  });
  it('ratcheting keeps an update with an unchanged bad value valid', () => {
    const schema = rootWith({ type: 'object', properties: { size: { type: 'integer', maximum: 10 } } });
    assert.deepEqual(updateResult(schema, widget({ size: 50 }), widget({ size: 50 })).errors, []);
  });
});
