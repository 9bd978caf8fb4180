// The protobuf form of /openapi/v2 (gnostic's openapi.v2.Document), read back with a small
// reader of the wire format: the definitions, their schema keywords and vendor extensions are
// where gnostic's OpenAPIv2.proto numbers them. kubectl reading it is in
// e2e/real-clients.test.ts (explain --output plaintext-openapiv2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import { WIRE_BYTES, WIRE_FIXED64, WireReader } from '../../../src/apiserver/codec/protobuf-wire.js';
import { builtinOpenApiGroupVersions } from '../../../src/apiserver/discovery/openapi/openapi-data.js';
import { buildOpenApiV2 } from '../../../src/apiserver/discovery/openapi/openapi-v2.js';
import { encodeOpenApiV2Protobuf } from '../../../src/apiserver/discovery/openapi/openapi-v2-protobuf.js';
import { buildBuiltinOpenApiV3 } from '../../../src/apiserver/discovery/openapi/openapi-v3.js';

/** A message as field number -> values (bytes for length-delimited fields, numbers otherwise). */
type Fields = Map<number, (Buffer | number | bigint)[]>;

function read(bytes: Buffer): Fields {
  const r = new WireReader(bytes);
  const out: Fields = new Map();
  while (!r.done) {
    const { number, wire } = r.tag('Test');
    let value: Buffer | number | bigint;
    if (wire === WIRE_BYTES) value = r.bytes();
    else if (wire === WIRE_FIXED64) {
      value = bytes.readDoubleLE(r.pos);
      r.pos += 8;
    } else value = r.varint();
    out.set(number, [...(out.get(number) ?? []), value]);
  }
  return out;
}

const text = (f: Fields, n: number) => (f.get(n)?.[0] as Buffer | undefined)?.toString('utf8');
const sub = (f: Fields, n: number) => read(f.get(n)?.[0] as Buffer);
const all = (f: Fields, n: number) => (f.get(n) ?? []).map((b) => read(b as Buffer));

describe('OpenAPI v2 in protobuf', () => {
  const sources = builtinOpenApiGroupVersions.map((gv) => ({ document: buildBuiltinOpenApiV3(gv)! }));
  const json = buildOpenApiV2(sources);
  const doc = read(encodeOpenApiV2Protobuf(json));

  it('holds swagger, info and every definition, in order', () => {
    assert.equal(text(doc, 1), '2.0');
    assert.equal(text(sub(doc, 2), 1), json.info.title);
    const named = all(sub(doc, 9), 1);
    assert.deepEqual(
      named.map((n) => text(n, 1)),
      Object.keys(json.definitions),
    );
  });

  it('writes a Deployment as kubectl reads it: description, type, properties, refs, GVK extension', () => {
    const named = all(sub(doc, 9), 1);
    const deployment = sub(named.find((n) => text(n, 1) === 'io.k8s.api.apps.v1.Deployment')!, 2);
    assert.equal(text(deployment, 4), json.definitions['io.k8s.api.apps.v1.Deployment'].description);
    assert.equal(text(sub(deployment, 22), 1), 'object');
    const properties = all(sub(deployment, 25), 1);
    assert.deepEqual(
      properties.map((p) => text(p, 1)),
      ['apiVersion', 'kind', 'metadata', 'spec', 'status'],
    );
    const spec = sub(properties.find((p) => text(p, 1) === 'spec')!, 2);
    assert.equal(text(spec, 1), '#/definitions/io.k8s.api.apps.v1.DeploymentSpec');
    const [gvk] = all(deployment, 31);
    assert.equal(text(gvk, 1), 'x-kubernetes-group-version-kind');
    assert.deepEqual(load(text(sub(gvk, 2), 2) ?? ''), [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  });

  it('maps, arrays, required and int-or-string as the proto has them', () => {
    const named = all(sub(doc, 9), 1);
    const byName = (name: string) => sub(named.find((n) => text(n, 1) === name)!, 2);
    const container = byName('io.k8s.api.core.v1.Container');
    assert.deepEqual(
      (container.get(19) ?? []).map((b) => (b as Buffer).toString()),
      ['name'],
    );
    const ports = sub(all(sub(container, 25), 1).find((p) => text(p, 1) === 'ports')!, 2);
    assert.equal(text(sub(ports, 22), 1), 'array');
    assert.equal(text(sub(sub(ports, 23), 1), 1), '#/definitions/io.k8s.api.core.v1.ContainerPort');
    const labels = sub(
      all(sub(byName('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'), 25), 1).find((p) => text(p, 1) === 'labels')!,
      2,
    );
    // additionalProperties: AdditionalPropertiesItem { schema: { type: string } }.
    assert.equal(text(sub(sub(sub(labels, 21), 1), 22), 1), 'string');
    const intOrString = byName('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    assert.equal(text(intOrString, 2), 'int-or-string');
    assert.equal(text(sub(intOrString, 22), 1), 'string');
  });
});
