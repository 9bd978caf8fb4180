import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDACTED, redactSecrets } from '../../src/manager/index.js';

test('redactSecrets hides the values of Secrets, keeps their keys and everything else', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 's',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"p":"aHVudGVyMg=="}}', keep: 'me' },
    },
    data: { password: 'aHVudGVyMg==' },
    stringData: { token: 'hunter2' },
  };
  const doc = {
    nested: [{ object: secret }],
    configMap: { kind: 'ConfigMap', metadata: { name: 'c' }, data: { shown: 'yes' } },
  };
  const out = redactSecrets(doc);
  const text = JSON.stringify(out);
  assert.ok(!text.includes('aHVudGVyMg'));
  assert.ok(!text.includes('hunter2'));
  assert.deepEqual(out.nested[0]!.object.data, { password: REDACTED });
  assert.deepEqual(out.nested[0]!.object.stringData, { token: REDACTED });
  assert.equal(out.nested[0]!.object.metadata.annotations.keep, 'me');
  assert.deepEqual(out.configMap.data, { shown: 'yes' });
  // The input is untouched.
  assert.equal(secret.data.password, 'aHVudGVyMg==');
});

test('redactSecrets spots a Secret without kind (type + data + metadata) and survives cycles', () => {
  const bare: Record<string, unknown> = { metadata: { name: 'x' }, type: 'Opaque', data: { k: 'dmFsdWU=' } };
  bare.self = bare;
  const out = redactSecrets({ bare, shared: [bare.metadata, bare.metadata] }) as {
    bare: Record<string, unknown>;
    shared: unknown[];
  };
  assert.deepEqual(out.bare.data, { k: REDACTED });
  assert.equal(out.bare.self, '[circular]');
  assert.deepEqual(out.shared, [{ name: 'x' }, { name: 'x' }]);
});
