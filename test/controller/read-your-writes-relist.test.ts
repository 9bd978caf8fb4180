// Read-your-writes across a server that went back in time. A write the informer had not seen yet
// when the server was restored (or restarted) is gone from the server's history; once the
// informer relisted, the cached client must read what the server holds now, not its own lost
// write for up to maxAgeMs: a reconcile woken by the relist would otherwise see its write as done
// and never make it again.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { SharedInformer } from '../../src/cache/index.js';
import { CachedClient } from '../../src/controller/cached-client.js';
import type { TransportPatchOptions, WriteTransport } from '../../src/controller/types.js';
import { ManualClock } from '../../src/core/clock.js';
import { applyMergePatch } from '../../src/core/merge-patch.js';
import type { KubeObject, ObjectKey, TypeRef } from '../../src/core/types.js';
import { cm, ProbingListerWatcher, page } from '../cache/fakes.js';
import { advance } from '../support/index.js';

const ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap' };
const X = { namespace: 'default', name: 'x' };
const running: SharedInformer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((i) => i.stop()));
});

/** The server's side of the writes: patches applied to one object, resourceVersions from `rv`. */
class OneObjectServer implements WriteTransport {
  constructor(
    public object: KubeObject,
    public rv: number,
  ) {}
  async get<T extends KubeObject>(): Promise<T> {
    return structuredClone(this.object) as T;
  }
  async create<T extends KubeObject>(object: T): Promise<T> {
    return object;
  }
  async patch<T extends KubeObject>(
    _target: { type: TypeRef; key: ObjectKey },
    patch: unknown,
    _options: TransportPatchOptions,
  ): Promise<T> {
    const next = applyMergePatch(structuredClone(this.object), patch) as KubeObject;
    next.metadata = { ...next.metadata, resourceVersion: String(++this.rv) };
    this.object = next;
    return structuredClone(next) as T;
  }
  async delete(): Promise<unknown> {
    return { kind: 'Status', status: 'Success' };
  }
}

/** An informer synced at 100 holding `held`, and a cached client reading through it. */
async function setup(held: KubeObject) {
  const clock = new ManualClock();
  const lw = new ProbingListerWatcher();
  lw.lists.push(page([held], '100'));
  lw.serverRevision = '100';
  const informer = new SharedInformer({
    type: ConfigMap,
    resource: 'configmaps',
    listerWatcher: lw,
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    clock,
    reflector: { random: () => 0, streamingList: false, watchdogMs: 1e9, resourceVersionCheckMs: 0 },
  });
  running.push(informer);
  const server = new OneObjectServer(structuredClone(held), 100);
  const client = new CachedClient({
    transport: server,
    informers: { informer: <T extends KubeObject>() => informer as unknown as SharedInformer<T> },
    clock,
  });
  await informer.synced;
  await lw.watchNumber(1);
  return { clock, lw, informer, server, client };
}

/** Writes data.v=2 to x through the client; the informer does not hear of it before the restore. */
async function writeUnseen(client: CachedClient): Promise<void> {
  const out = await client.mutate<KubeObject & { data?: Record<string, string> }>(ConfigMap, X, (d) => {
    d.data = { v: '2' };
  });
  assert.equal(out.sent, true);
  assert.equal((await client.get<KubeObject & { data?: Record<string, string> }>(ConfigMap, X))?.data?.v, '2');
}

type Data = KubeObject & { data?: Record<string, string> };

describe('read-your-writes when the server went back in time', () => {
  it('restored from an older snapshot: the relist shows the restored object, not the lost write', async () => {
    const { clock, lw, informer, client } = await setup(cm('x', '60', { uid: 'ux' }, { v: '1' }));
    await writeUnseen(client);
    // Restored to revision 90: x as it was at 40, same uid.
    lw.serverRevision = '90';
    lw.lists.push(page([cm('x', '40', { uid: 'ux' }, { v: '0' })], '90'));
    lw.watches[0].fail(new Error('connection reset'));
    await advance(clock, 800 + 2000);
    await lw.watchNumber(2);
    assert.equal(informer.get(X)?.metadata.resourceVersion, '40', 'relisted');
    assert.equal((await client.get<Data>(ConfigMap, X))?.data?.v, '0', 'the server holds v=0 now');
    assert.equal(client.pendingWrites, 0);
  });

  it('restored to a snapshot where the object is as the store held it: no event, still the truth', async () => {
    const { clock, lw, informer, client } = await setup(cm('x', '60', { uid: 'ux' }, { v: '1' }));
    await writeUnseen(client);
    lw.serverRevision = '90';
    lw.lists.push(page([cm('x', '60', { uid: 'ux' }, { v: '1' })], '90'));
    lw.watches[0].fail(new Error('connection reset'));
    await advance(clock, 800 + 2000);
    await lw.watchNumber(2);
    assert.equal(informer.lastSyncResourceVersion, '90', 'relisted');
    assert.equal((await client.get<Data>(ConfigMap, X))?.data?.v, '1');
    assert.deepEqual(
      (await client.list<Data>(ConfigMap)).map((o) => o.data?.v),
      ['1'],
    );
  });

  it('restarted and written to again up to the same resourceVersion: the new object, not the lost write', async () => {
    const { clock, lw, informer, client } = await setup(cm('x', '60', { uid: 'ux' }, { v: '1' }));
    await writeUnseen(client);
    // A new server at 100 again, where x is another object written at 60.
    const fresh = cm('x', '60', { uid: 'ux-2' }, { v: 'new' });
    lw.serverSample = fresh;
    lw.lists.push(page([fresh], '100'));
    lw.watches[0].fail(new Error('connection reset'));
    await advance(clock, 800 + 2000);
    await lw.watchNumber(2);
    assert.equal(informer.get(X)?.metadata.uid, 'ux-2', 'relisted');
    assert.equal((await client.get<Data>(ConfigMap, X))?.data?.v, 'new');
    assert.equal(client.pendingWrites, 0);
  });
});
