// JSON -> protobuf -> JSON for a generated sample of every kind in the schema table (every
// group-version of k8s.io/api, served or not, meta/v1 and apiextensions), and for the zero
// object of every kind (what Go writes for a struct nobody filled in).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeKubernetesProtobuf,
  decodeProtobufMessage,
  encodeKubernetesProtobuf,
  encodeProtobufMessage,
  protobufKinds,
  protobufMessage,
} from '../../../src/apiserver/codec/protobuf-codec.js';
import { protobufMessages } from '../../../src/apiserver/codec/protobuf-schema.js';
import { kindSample, messageSample } from './samples.js';

const kinds = protobufKinds();

describe('protobuf round trip of every kind in the schema table', () => {
  it('the table holds the kinds of every group the emulator serves and the option and review kinds', () => {
    assert.ok(kinds.length > 300, `${kinds.length} kinds`);
    const names = new Set(kinds.map((k) => `${k.apiVersion}/${k.kind}`));
    for (const kind of [
      'v1/Pod',
      'v1/Secret',
      'v1/Service',
      'v1/ServiceAccount',
      'apps/v1/Deployment',
      'batch/v1/Job',
      'rbac.authorization.k8s.io/v1/RoleBinding',
      'authentication.k8s.io/v1/TokenRequest',
      'authorization.k8s.io/v1/SelfSubjectAccessReview',
      'authentication.k8s.io/v1/SelfSubjectReview',
      'apiextensions.k8s.io/v1/CustomResourceDefinition',
      'coordination.k8s.io/v1/Lease',
      'meta.k8s.io/v1/DeleteOptions',
      'meta.k8s.io/v1/CreateOptions',
      'meta.k8s.io/v1/Status',
      'storagemigration.k8s.io/v1alpha1/StorageVersionMigration',
    ]) {
      assert.ok(names.has(kind), kind);
    }
  });

  it('a filled sample of each kind survives JSON -> protobuf -> JSON, field order included', () => {
    let checked = 0;
    for (const { apiVersion, kind, message } of kinds) {
      const sample = kindSample(apiVersion, kind, message);
      const bytes = encodeKubernetesProtobuf(sample);
      const back = decodeKubernetesProtobuf(bytes);
      assert.deepEqual(back, sample, `${apiVersion}/${kind}`);
      assert.equal(JSON.stringify(back), JSON.stringify(sample), `${apiVersion}/${kind}: key order`);
      assert.deepEqual(encodeKubernetesProtobuf(back), bytes, `${apiVersion}/${kind}: stable bytes`);
      checked++;
    }
    assert.equal(checked, kinds.length);
  });

  it('the zero object of each kind decodes, encodes and decodes to itself', () => {
    for (const { apiVersion, kind, message } of kinds) {
      const zero = decodeProtobufMessage(Buffer.alloc(0), message);
      const bytes = encodeProtobufMessage(zero, message);
      assert.deepEqual(decodeProtobufMessage(bytes, message), zero, `${apiVersion}/${kind}`);
      // A zero struct encodes to the same bytes whether given as {} or as its full zero view.
      assert.deepEqual(encodeProtobufMessage({}, message), bytes, `${apiVersion}/${kind}: {} vs zero view`);
    }
  });

  it('every message of the table, not only kinds, round-trips its sample', () => {
    for (const message of protobufMessages()) {
      if (message.name.endsWith('.Unknown')) continue; // the envelope, read by its own code
      const sample = messageSample(message);
      const back = decodeProtobufMessage(encodeProtobufMessage(sample, message), message);
      assert.deepEqual(back, sample, message.name);
    }
  });

  it('writes the zero Deployment as Go does: empty strings and zero numbers on the wire, null and {} in JSON', () => {
    const deployment = protobufMessage('k8s.io.api.apps.v1.Deployment')!;
    assert.deepEqual(decodeProtobufMessage(Buffer.alloc(0), deployment), {
      metadata: { creationTimestamp: null },
      spec: {
        selector: null,
        template: { metadata: { creationTimestamp: null }, spec: { containers: null } },
        strategy: {},
      },
      status: {},
    });
  });
});
