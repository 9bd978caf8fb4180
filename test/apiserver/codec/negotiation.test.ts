import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregatedDiscoveryVersion, negotiate } from '../../../src/apiserver/codec/negotiation.js';

describe('Accept negotiation', () => {
  it('picks the first representation it can serve', () => {
    assert.deepEqual(negotiate(undefined), { kind: 'object' });
    assert.deepEqual(negotiate('application/json, */*;q=0.8'), { kind: 'object' });
    assert.deepEqual(
      negotiate(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
      { kind: 'table', version: 'v1' },
    );
    assert.deepEqual(negotiate('application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1'), {
      kind: 'metadata',
      version: 'v1',
    });
    assert.deepEqual(negotiate('application/vnd.kubernetes.protobuf,application/json'), { kind: 'object' });
    assert.equal(negotiate('application/vnd.kubernetes.protobuf'), undefined);
    assert.equal(negotiate('application/json;as=Unknown;g=meta.k8s.io;v=v1'), undefined);
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
