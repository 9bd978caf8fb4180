// The manager's one fencing mechanism: the cached client asks `managerFence` before every write,
// with the reconcile that makes it. Every write verb of a view (and its Events and `direct`
// writes) is refused, sending nothing, once the fence of that view's reconcile is closed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InformerReader } from '../../src/cache/index.js';
import { CachedClient, type WriteTransport } from '../../src/controller/index.js';
import { ConfigMap, type KubeObject, keyString, type ObjectKey, WriteFencedError } from '../../src/core/index.js';
import { managerFence } from '../../src/manager/fencing.js';
import type { Sharder } from '../../src/manager/sharding.js';

const held = { namespace: 'ns', name: 'held' };
const lost = { namespace: 'ns', name: 'lost' };

/** A sharder that holds the shard of `held` only. */
const sharder = {
  fenceSignal: (key: ObjectKey) =>
    keyString(key) === keyString(held) ? new AbortController().signal : AbortSignal.abort(new WriteFencedError()),
} as unknown as Sharder;

function cm(key: ObjectKey): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...key, uid: `u-${key.name}`, resourceVersion: '1' } };
}

/** A synced cache holding one ConfigMap per key, and a transport that records what is sent. */
function setup() {
  const sent: string[] = [];
  const objects = new Map([held, lost].map((k) => [keyString(k), cm(k)]));
  const informer: InformerReader = {
    type: ConfigMap,
    get: (key) => objects.get(keyString(key)),
    list: () => [...objects.values()],
    subscribe: () => () => {},
    synced: Promise.resolve(),
    hasSynced: () => true,
    lastSyncResourceVersion: '1',
  };
  const answer = async <T extends KubeObject>(verb: string, object: unknown): Promise<T> => {
    sent.push(verb);
    return { ...(object as T), metadata: { ...(object as T).metadata, resourceVersion: '2' } };
  };
  const transport: WriteTransport = {
    get: async <T extends KubeObject>(_type: unknown, key: ObjectKey) => objects.get(keyString(key)) as T,
    create: (object) => answer('create', object),
    update: (object) => answer('update', object),
    patch: (target) => answer('patch', cm(target.key)),
    delete: async () => {
      sent.push('delete');
      return { kind: 'Status', status: 'Success' };
    },
  };
  const client = new CachedClient({
    transport,
    informers: { informer: <T extends KubeObject>() => informer as InformerReader<T> },
    fence: managerFence({ sharder }),
  });
  return { client, sent };
}

/** Every write verb of a view, each on the reconcile's own key. */
function writes(client: ReturnType<CachedClient['scoped']>, key: ObjectKey): Array<[string, () => Promise<unknown>]> {
  const object = cm(key);
  const changed = { ...object, data: { a: '1' } };
  return [
    ['create', () => client.create(ConfigMap, { ...object, metadata: { ...key, name: `${key.name}-new` } })],
    ['patch', () => client.patch(object, changed)],
    ['mutate', () => client.mutate(ConfigMap, key, (d) => void (d.data = { a: '1' }))],
    ['mutateStatus', () => client.mutateStatus<KubeObject>(ConfigMap, key, (d) => void (d.status = { ok: true }))],
    ['apply', () => client.apply(changed, { fieldManager: 'test' })],
    ['ensureFinalizer', () => client.ensureFinalizer(object, 'x/y')],
    ['delete', () => client.delete(ConfigMap, key)],
    ['direct.create', () => client.direct.create({ ...object, metadata: { ...key, name: `${key.name}-d` } })],
    ['direct.update', () => client.direct.update(changed)],
    ['direct.patch', () => client.direct.patch({ type: ConfigMap, key }, { data: { a: '2' } })],
    ['direct.delete', () => client.direct.delete(ConfigMap, key)],
  ];
}

test('sharding: a reconcile whose shard is not held has every write refused before anything is sent', async () => {
  const { client, sent } = setup();
  const view = client.scoped({ controller: 'c', key: lost });
  for (const [verb, write] of writes(view, lost)) {
    await assert.rejects(write(), WriteFencedError, verb);
  }
  // Events are best effort: a fenced one is dropped like a failed one, never sent.
  await view.events.record(cm(lost), { reason: 'R', message: 'm' });
  assert.deepEqual(sent, []);
  // Reads are not fenced.
  assert.equal((await view.get(ConfigMap, lost))?.metadata.name, 'lost');
});

test('sharding: a reconcile of a held shard writes, and writes outside a reconcile are not fenced', async () => {
  const { client, sent } = setup();
  const view = client.scoped({ controller: 'c', key: held });
  for (const [verb, write] of writes(view, held)) await assert.doesNotReject(write(), verb);
  await view.events.record(cm(held), { reason: 'R', message: 'm' });
  assert.ok(sent.length >= 10, `sent ${sent.join(', ')}`);
  assert.ok(sent.includes('create') && sent.includes('update') && sent.includes('delete'));
  const before = sent.length;
  await client.direct.patch({ type: ConfigMap, key: lost }, { data: { a: '3' } });
  assert.equal(sent.length, before + 1, 'mgr.client outside a reconcile has no shard to answer to');
});

test('leader election: the elector fences every write, whatever the reconcile', async () => {
  let leading = true;
  const elector = {
    fenceSignal: () => (leading ? new AbortController().signal : AbortSignal.abort(new WriteFencedError())),
  } as unknown as NonNullable<Parameters<typeof managerFence>[0]['elector']>;
  const fence = managerFence({ elector });
  assert.equal(fence({ type: ConfigMap, key: held })?.aborted, false);
  leading = false;
  assert.equal(fence({ type: ConfigMap, key: held })?.aborted, true);
  assert.equal(fence({ type: ConfigMap, key: held, reconcileKey: lost })?.aborted, true);
});
