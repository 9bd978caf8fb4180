// The StateDB reflector mirrors a real informer on the emulator into a table, through events
// and through a relist after a forced compaction.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { InformerFactory } from '../../src/cache/index.js';
import { KubeClient } from '../../src/client/index.js';
import type { KubeObject } from '../../src/core/index.js';
import { ConfigMap } from '../../src/core/index.js';
import { StateDB, startReflector } from '../../src/statedb/index.js';
import { eventually } from '../support/index.js';

interface Row {
  name: string;
  value: string;
  rv: string;
}

let server: ApiServer;

before(async () => {
  server = await startApiServer({ port: 0 });
});
after(async () => {
  await server.stop();
});

const cm = (namespace: string, name: string, value: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace, name },
  data: { value },
});

it('mirrors a ConfigMap informer into a table through events and relists', async () => {
  const kubeconfig = {
    ...server.kubeconfig,
    clusters: [{ name: server.kubeconfig.clusters[0].name, cluster: { server: server.url } }],
  };
  const client = KubeClient.fromKubeconfig(kubeconfig, {
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    maxRetries: 2,
  });
  const factory = new InformerFactory(client, {
    reflector: { initialBackoffMs: 20, maxBackoffMs: 200, watchdogMs: 5000 },
  });
  const namespace = `statedb-${process.pid}`;
  try {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    for (const n of ['a', 'b', 'skip']) await client.create(cm(namespace, n, n === 'skip' ? 'skip' : '1'));
    const informer = factory.informer(ConfigMap, { namespace });
    const db = new StateDB({ validate: true });
    const rows = db.table<Row>('configmaps', {
      primary: (r) => r.name,
      indexes: { value: { key: (r) => r.value, unique: false } },
    });
    const reflector = startReflector({
      db,
      table: rows,
      informer,
      transform: (o) => {
        const value = (o.data as Record<string, string> | undefined)?.value ?? '';
        return value === 'skip' ? undefined : { name: o.metadata.name!, value, rv: o.metadata.resourceVersion ?? '' };
      },
    });
    await rows.initialized;
    assert.deepEqual(
      db
        .read()
        .all(rows)
        .map((r) => r.name),
      ['a', 'b'],
    );

    const mirrors = async () => {
      const list = await client.list(ConfigMap, { namespace });
      const want = list.items
        .filter((o) => (o.data as Record<string, string>).value !== 'skip')
        .map((o) => `${o.metadata.name}=${o.metadata.resourceVersion}`)
        .sort();
      return () =>
        JSON.stringify(
          db
            .read()
            .all(rows)
            .map((r) => `${r.name}=${r.rv}`),
        ) === JSON.stringify(want);
    };

    await client.create(cm(namespace, 'c', '2'));
    await client.delete(ConfigMap, { namespace, name: 'b' });
    await client.apply(cm(namespace, 'a', '2'), { fieldManager: 'test', force: true });
    await eventually(await mirrors(), { message: 'events mirrored' });
    assert.deepEqual(
      db
        .read()
        .list(rows, 'value', '2')
        .map((r) => r.name),
      ['a', 'c'],
    );

    // Keep the informer from watching while the server changes and forgets its history: it must
    // relist and emit the differences, which the reflector applies.
    const block = server.faults.errors({ rate: 1, code: 500, verb: 'watch', resource: 'configmaps' });
    server.faults.dropWatches({ resource: 'configmaps' });
    await client.delete(ConfigMap, { namespace, name: 'c' });
    await client.create(cm(namespace, 'd', '3'));
    server.faults.compact();
    block.clear();
    await eventually(await mirrors(), { message: 'relist mirrored', timeout: 15_000 });
    assert.equal(reflector.stats().errors, 0);
    reflector.stop();
  } finally {
    server.faults.clear();
    await factory.stop();
    client.close();
  }
});
