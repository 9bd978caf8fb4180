import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregatedDiscoveryVersion, negotiate, statusEncoding } from '../../../src/apiserver/codec/negotiation.js';

const BUILTIN = { protobuf: true };
const CUSTOM = { protobuf: false };

describe('Accept negotiation', () => {
  it('picks the first representation it can serve, in order of q', () => {
    assert.deepEqual(negotiate(undefined, BUILTIN), { kind: 'object', encoding: 'json' });
    assert.deepEqual(negotiate('application/json, */*;q=0.8', BUILTIN), { kind: 'object', encoding: 'json' });
    assert.deepEqual(
      negotiate(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
        BUILTIN,
      ),
      { kind: 'table', version: 'v1', encoding: 'json' },
    );
    assert.deepEqual(negotiate('application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1', BUILTIN), {
      kind: 'metadata',
      version: 'v1',
      encoding: 'json',
    });
    assert.equal(negotiate('application/json;as=Unknown;g=meta.k8s.io;v=v1', BUILTIN), undefined);
    assert.equal(negotiate('text/html', BUILTIN), undefined);
    // q orders the clauses (goautoneg), concrete before wildcard at equal q.
    assert.deepEqual(negotiate('application/json;q=0.5,application/yaml', BUILTIN), {
      kind: 'object',
      encoding: 'yaml',
    });
    assert.deepEqual(negotiate('*/*,application/yaml', BUILTIN), { kind: 'object', encoding: 'yaml' });
  });

  it("parameters and q read as goautoneg reads them: empty or doubled '=' values dropped, q by ParseFloat", () => {
    // `as=` (no value) is no parameter at all: a plain object, not a conversion nothing serves.
    assert.deepEqual(negotiate('application/json;as=', BUILTIN), { kind: 'object', encoding: 'json' });
    assert.deepEqual(negotiate('application/json;as=Table=x', BUILTIN), { kind: 'object', encoding: 'json' });
    // A q that strconv.ParseFloat refuses (trailing text, a leading space) is q=0.
    for (const bad of ['0.9x', ' 0.9']) {
      assert.deepEqual(
        negotiate(`application/json;q=${bad},application/vnd.kubernetes.protobuf;q=0.5`, BUILTIN),
        { kind: 'object', encoding: 'protobuf' },
        bad,
      );
    }
    // `q=` is dropped like any empty parameter: q stays 1.
    assert.deepEqual(negotiate('application/vnd.kubernetes.protobuf;q=0.5,application/json;q=', BUILTIN), {
      kind: 'object',
      encoding: 'json',
    });
    assert.deepEqual(negotiate('application/json;q=.9,application/vnd.kubernetes.protobuf;q=5e-1', BUILTIN), {
      kind: 'object',
      encoding: 'json',
    });
  });

  it('protobuf for built-ins; a custom resource skips protobuf clauses', () => {
    const protoFirst = 'application/vnd.kubernetes.protobuf,application/json';
    assert.deepEqual(negotiate(protoFirst, BUILTIN), { kind: 'object', encoding: 'protobuf' });
    assert.deepEqual(negotiate(protoFirst, CUSTOM), { kind: 'object', encoding: 'json' });
    assert.deepEqual(negotiate('application/vnd.kubernetes.protobuf, */*', CUSTOM), {
      kind: 'object',
      encoding: 'json',
    });
    assert.equal(negotiate('application/vnd.kubernetes.protobuf', CUSTOM), undefined);
    // PartialObjectMetadata has a protobuf form for every resource; a Table has none.
    assert.deepEqual(
      negotiate('application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1', CUSTOM),
      { kind: 'metadata', version: 'v1', encoding: 'protobuf' },
    );
    assert.deepEqual(
      negotiate('application/vnd.kubernetes.protobuf;as=Table;g=meta.k8s.io;v=v1,application/json', BUILTIN),
      { kind: 'object', encoding: 'json' },
    );
    // A watch stream in protobuf, and no YAML stream.
    assert.deepEqual(negotiate('application/vnd.kubernetes.protobuf;stream=watch', BUILTIN), {
      kind: 'object',
      encoding: 'protobuf',
    });
    assert.equal(negotiate('application/yaml;stream=watch', BUILTIN), undefined);
  });

  it('errors are written in the first plain media type the client accepts', () => {
    assert.equal(statusEncoding('application/vnd.kubernetes.protobuf, application/json'), 'protobuf');
    assert.equal(statusEncoding('application/json;as=Table;v=v1;g=meta.k8s.io,application/json'), 'json');
    assert.equal(statusEncoding('text/html'), 'json');
    assert.equal(statusEncoding(undefined), 'json');
  });

  it('recognizes aggregated discovery requests', () => {
    assert.equal(
      aggregatedDiscoveryVersion(
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      ),
      'v2',
    );
    assert.equal(
      aggregatedDiscoveryVersion(
        'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
      ),
      'v2beta1',
    );
    assert.equal(aggregatedDiscoveryVersion('application/json'), undefined);
    assert.equal(aggregatedDiscoveryVersion(undefined), undefined);
  });
});
