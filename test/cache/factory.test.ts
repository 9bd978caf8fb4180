// InformerFactory's sharing key: the same arguments give the same instance, and every option that
// changes what is stored gives another. No request is sent: informers start only on use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { InformerFactory } from '../../src/cache/index.js';
import { KubeClient } from '../../src/client/index.js';
import type { KubeObject } from '../../src/core/index.js';
import { ConfigMap } from '../../src/core/index.js';

function factory(): { f: InformerFactory; client: KubeClient } {
  const client = KubeClient.fromKubeconfig(
    {
      'current-context': 'x',
      clusters: [{ name: 'c', cluster: { server: 'http://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    },
    { logger: pino({ level: 'silent' }), registry: new Registry() },
  );
  return { f: new InformerFactory(client), client };
}

describe('InformerFactory sharing', () => {
  it('same arguments share one instance; each option that changes the store makes another', async () => {
    const { f, client } = factory();
    try {
      const strip = (o: KubeObject): KubeObject => o;
      const other = (o: KubeObject): KubeObject => o;
      const base = f.informer(ConfigMap, { namespace: 'a', labelSelector: 'x=y' });
      // Key order and explicit defaults do not matter.
      assert.equal(f.informer(ConfigMap, { labelSelector: 'x=y', namespace: 'a' }), base);
      assert.equal(f.informer(ConfigMap, { namespace: 'a', labelSelector: 'x=y', metadataOnly: false }), base);
      const variants = [
        f.informer(ConfigMap, { namespace: 'b', labelSelector: 'x=y' }),
        f.informer(ConfigMap, { namespace: 'a' }),
        f.informer(ConfigMap, { namespace: 'a', labelSelector: 'x=y', fieldSelector: 'metadata.name=n' }),
        f.informer(ConfigMap, { namespace: 'a', labelSelector: 'x=y', metadataOnly: true }),
        f.informer(ConfigMap, { namespace: 'a', labelSelector: 'x=y', keepManagedFields: true }),
        f.informer<KubeObject>(ConfigMap, { namespace: 'a', labelSelector: 'x=y', transform: strip }),
        f.informer<KubeObject>(ConfigMap, { namespace: 'a', labelSelector: 'x=y', transform: other }),
        f.informer({ apiVersion: 'v1', kind: 'Secret' }, { namespace: 'a', labelSelector: 'x=y' }),
      ];
      assert.equal(new Set([base, ...variants]).size, variants.length + 1, 'all distinct');
      // Transforms count by function identity: the same function shares, a new closure does not.
      assert.equal(
        f.informer<KubeObject>(ConfigMap, { namespace: 'a', labelSelector: 'x=y', transform: strip }),
        variants[5],
      );
      assert.equal(f.informers().length, variants.length + 1);
      assert.ok(
        f.informers().every((i) => !i.hasSynced()),
        'nothing started: no request was sent',
      );
    } finally {
      await f.stop();
      client.close();
    }
  });

  it('an informer asked for after stop() is stopped too and its synced rejects', async () => {
    const { f, client } = factory();
    try {
      await f.stop();
      const late = f.informer(ConfigMap, { namespace: 'late' });
      await assert.rejects(late.synced, { code: 'KLOOP_INFORMER_STOPPED' });
    } finally {
      client.close();
    }
  });
});
