import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { byOwnerUid } from '../../src/cache/index.js';
import { CachedClient } from '../../src/controller/cached-client.js';
import { OWNER_INDEX } from '../../src/controller/controller.js';
import { rvAtLeast } from '../../src/controller/read-your-writes.js';
import type { TransportPatchOptions, WriteReport, WriteTransport } from '../../src/controller/types.js';
import { ClientUsageError } from '../../src/controller/writes.js';
import { ManualClock } from '../../src/core/clock.js';
import { deepClone } from '../../src/core/equal.js';
import { ApiError, makeStatus } from '../../src/core/errors.js';
import { fenceWrite, WriteFencedError } from '../../src/core/fence.js';
import { applyJsonPatch } from '../../src/core/json-patch.js';
import { applyMergePatch } from '../../src/core/merge-patch.js';
import type { KubeObject, ObjectKey, TypeRef } from '../../src/core/types.js';
import { FakeInformers } from './fakes.js';

const ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap' };
const Deployment = { apiVersion: 'apps/v1', kind: 'Deployment' };

interface Sent {
  verb: string;
  key?: ObjectKey;
  body: unknown;
  options?: TransportPatchOptions;
}

/** A server in a Map: applies patches, bumps resourceVersions, records every request. */
class FakeServer implements WriteTransport {
  readonly objects = new Map<string, KubeObject>();
  readonly sent: Sent[] = [];
  rv = 100;
  conflictsLeft = 0;
  readonly #id = (t: TypeRef, k: ObjectKey) => `${t.kind}/${k.namespace ?? ''}/${k.name}`;

  put(type: TypeRef, o: KubeObject): KubeObject {
    const stored = { ...deepClone(o), metadata: { ...deepClone(o.metadata), resourceVersion: String(++this.rv) } };
    this.objects.set(this.#id(type, { namespace: o.metadata.namespace, name: o.metadata.name! }), stored);
    return deepClone(stored);
  }

  async get<T extends KubeObject>(type: TypeRef, key: ObjectKey): Promise<T> {
    const o = this.objects.get(this.#id(type, key));
    if (!o) throw new ApiError(makeStatus(404, 'NotFound', 'not found'));
    return deepClone(o) as T;
  }

  async create<T extends KubeObject>(object: T): Promise<T> {
    this.sent.push({ verb: 'create', body: object });
    return this.put({ apiVersion: object.apiVersion!, kind: object.kind! }, object) as T;
  }

  async patch<T extends KubeObject>(
    target: { type: TypeRef; key: ObjectKey },
    patch: unknown,
    options?: TransportPatchOptions,
  ): Promise<T> {
    this.sent.push({ verb: 'patch', key: target.key, body: patch, options });
    const current = this.objects.get(this.#id(target.type, target.key));
    if (options?.type === 'apply') {
      return this.put(target.type, applyMergePatch(current ?? {}, patch) as KubeObject) as T;
    }
    if (!current) throw new ApiError(makeStatus(404, 'NotFound', 'not found'));
    if (this.conflictsLeft > 0) {
      this.conflictsLeft--;
      throw new ApiError(makeStatus(409, 'Conflict', 'the object has been modified'));
    }
    if (options?.type === 'json') {
      try {
        return this.put(target.type, applyJsonPatch(current, patch as never)) as T;
      } catch (err) {
        throw new ApiError(makeStatus(422, 'Invalid', `the server rejected our request: test failed (${String(err)})`));
      }
    }
    const rv = (patch as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (rv !== undefined && rv !== current.metadata.resourceVersion) {
      throw new ApiError(makeStatus(409, 'Conflict', 'the object has been modified'));
    }
    return this.put(target.type, applyMergePatch(current, patch) as KubeObject) as T;
  }

  async delete(type: TypeRef, key: ObjectKey): Promise<unknown> {
    this.sent.push({ verb: 'delete', key, body: undefined });
    this.objects.delete(this.#id(type, key));
    return { kind: 'Status', status: 'Success' };
  }
}

function setup() {
  const server = new FakeServer();
  const informers = new FakeInformers();
  const registry = new Registry();
  const writes: WriteReport[] = [];
  const clock = new ManualClock();
  const base = new CachedClient({ transport: server, informers, registry, clock });
  const client = base.scoped({ controller: 'ctl', onWrite: (w) => writes.push(w) });
  /** Puts an object on the server and in the informer (a synced cache). */
  const seed = (type: TypeRef, o: KubeObject) => {
    const stored = server.put(type, o);
    informers.of(type).upsert(stored);
    return stored;
  };
  return { server, informers, registry, base, client, writes, seed, clock };
}

const cm = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: 'ns', name, uid: `u-${name}` },
  data,
});

describe('CachedClient', () => {
  it('sends nothing when a patch or mutate changes nothing, and counts the skip', async () => {
    const { server, client, registry, seed } = setup();
    const current = seed(ConfigMap, cm('a', { x: '1' }));
    const out = await client.patch(current, deepClone(current));
    assert.equal(out.sent, false);
    const m = await client.mutate(ConfigMap, { namespace: 'ns', name: 'a' }, (d) => {
      d.data = { x: '1' };
    });
    assert.equal(m.sent, false);
    assert.equal(server.sent.length, 0);
    const skipped = (await registry.getSingleMetric('kloop_client_writes_skipped_total')!.get()).values;
    assert.equal(
      skipped.reduce((n, v) => n + v.value, 0),
      2,
    );
  });

  it('sends the smallest merge patch holding just the changed field', async () => {
    const { server, client, seed, writes } = setup();
    const current = seed(ConfigMap, {
      ...cm('a', { x: '1', y: '2' }),
      metadata: { namespace: 'ns', name: 'a', labels: { l: '1' } },
    });
    const desired = deepClone(current);
    desired.data = { x: '1', y: '3' };
    const out = await client.patch(current, desired);
    assert.equal(out.sent, true);
    assert.deepEqual(server.sent[0].body, { data: { y: '3' } });
    assert.equal(server.sent[0].options?.type, 'merge');
    assert.deepEqual(writes[0].fields, ['data']);
    assert.equal(writes[0].kind, 'patch');
  });

  it('locks optimistically with a JSON patch that tests the resourceVersion', async () => {
    const { server, client, seed } = setup();
    const current = seed(ConfigMap, cm('a', { x: '1' }));
    const desired = deepClone(current);
    desired.data = { x: '2' };
    await client.patch(current, desired, { optimisticLock: true });
    assert.deepEqual(server.sent[0].body, [
      { op: 'test', path: '/metadata/resourceVersion', value: current.metadata.resourceVersion },
      { op: 'replace', path: '/data/x', value: '2' },
    ]);
    // Stale now: the failed test surfaces as a 409 Conflict.
    await assert.rejects(client.patch(current, { ...desired, data: { x: '3' } }, { optimisticLock: true }), (err) =>
      ApiError.isConflict(err),
    );
  });

  it('refuses an optimistic lock on an object without a resourceVersion, sending nothing', async () => {
    const { server, client } = setup();
    const fresh = cm('a', { x: '1' });
    await assert.rejects(
      client.patch(fresh, { ...fresh, data: { x: '2' } }, { optimisticLock: true }),
      (err) => err instanceof ClientUsageError,
    );
    assert.equal(server.sent.length, 0);
  });

  it('keeps a validation error of an object named test-* a 422, not a conflict', async () => {
    const { server, client, seed } = setup();
    const current = seed(ConfigMap, cm('test-app', { x: '1' }));
    server.patch = async () => {
      throw new ApiError(
        makeStatus(422, 'Invalid', 'ConfigMap "test-app" is invalid: data[bad key]: Invalid value: "bad key"'),
      );
    };
    await assert.rejects(
      client.patch(current, { ...deepClone(current), data: { 'bad key': '1' } }, { optimisticLock: true }),
      (err) => err instanceof ApiError && err.statusCode === 422 && !ApiError.isConflict(err),
    );
  });

  it('sends spec and status changes to their own endpoints', async () => {
    const { server, client, seed } = setup();
    const current = seed(Deployment, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { namespace: 'ns', name: 'd' },
      spec: { replicas: 1 },
      status: { ready: 0 },
    });
    await client.mutateStatus(Deployment, { namespace: 'ns', name: 'd' }, (d) => {
      (d.status as { ready: number }).ready = 1;
    });
    assert.equal(server.sent.length, 1);
    assert.equal(server.sent[0].options?.subresource, 'status');
    assert.deepEqual(server.sent[0].body, { status: { ready: 1 } }, 'status is not locked by default');
    const desired = deepClone(current);
    desired.spec = { replicas: 2 };
    desired.status = { ready: 5 };
    server.sent.length = 0;
    await client.patch(current, desired);
    assert.deepEqual(
      server.sent.map((s) => [s.options?.subresource, s.body]),
      [
        [undefined, { spec: { replicas: 2 } }],
        ['status', { status: { ready: 5 } }],
      ],
    );
  });

  it('locks a spec and status patch pair on the version each step produced', async () => {
    const { server, client, seed } = setup();
    const current = seed(Deployment, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { namespace: 'ns', name: 'd' },
      spec: { replicas: 1 },
      status: { ready: 0 },
    });
    const desired = { ...deepClone(current), spec: { replicas: 3 }, status: { ready: 3 } };
    const out = await client.patch(current, desired, { optimisticLock: true });
    assert.equal(out.sent, true);
    assert.equal(server.sent.length, 2);
    assert.deepEqual((await server.get(Deployment, { namespace: 'ns', name: 'd' })).status, { ready: 3 });
  });

  it('retries a conflicting mutate from a fresh read, bounded', async () => {
    const { server, client, seed } = setup();
    seed(ConfigMap, cm('a', { n: '1' }));
    server.conflictsLeft = 2;
    const out = await client.mutate<KubeObject>(ConfigMap, { namespace: 'ns', name: 'a' }, (d) => {
      d.data = { n: '2' };
    });
    assert.equal(out.sent, true);
    assert.equal(server.sent.length, 3);
    server.conflictsLeft = 10;
    await assert.rejects(
      client.mutate<KubeObject>(
        ConfigMap,
        { namespace: 'ns', name: 'a' },
        (d) => {
          d.data = { n: '3' };
        },
        { maxAttempts: 3 },
      ),
      (err) => ApiError.isConflict(err),
    );
  });

  it('reads its own writes until the informer catches up', async () => {
    const { server, client, seed, informers, base } = setup();
    seed(ConfigMap, cm('a', { v: 'old' }));
    await client.mutate<KubeObject>(ConfigMap, { namespace: 'ns', name: 'a' }, (d) => {
      d.data = { v: 'new' };
    });
    // The informer still holds the old object: reads return the write.
    assert.deepEqual((await client.get(ConfigMap, { namespace: 'ns', name: 'a' }))?.data, { v: 'new' });
    assert.deepEqual((await client.list(ConfigMap, { namespace: 'ns' }))[0].data, { v: 'new' });
    assert.equal(base.pendingWrites, 1);
    // The watch event arrives: the record is dropped and the cache is read again.
    informers.of(ConfigMap).upsert(await server.get(ConfigMap, { namespace: 'ns', name: 'a' }));
    assert.equal(base.pendingWrites, 0);
    // Created objects show in reads before the informer sees them; deleted ones vanish.
    await client.create(ConfigMap, cm('b', { k: 'v' }));
    assert.ok(await client.get(ConfigMap, { namespace: 'ns', name: 'b' }));
    assert.equal((await client.list(ConfigMap)).length, 2);
    assert.equal(await client.delete(ConfigMap, { namespace: 'ns', name: 'a' }), true);
    assert.equal(await client.get(ConfigMap, { namespace: 'ns', name: 'a' }), undefined);
  });

  it('keeps no record of a delete or a removal whose watch event beat the answer', async () => {
    const { server, client, seed, informers, base } = setup();
    const configMaps = informers.of(ConfigMap);
    seed(ConfigMap, cm('gone', {}));
    // The informer hears the DELETED event before the delete's answer arrives.
    const remove = server.delete.bind(server);
    server.delete = async (type, key) => {
      const answer = await remove(type, key);
      configMaps.remove(key);
      return answer;
    };
    assert.equal(await client.delete(ConfigMap, { namespace: 'ns', name: 'gone' }), true);
    assert.equal(base.pendingWrites, 0, 'no record waits for an event that came');
    assert.equal(await client.get(ConfigMap, { namespace: 'ns', name: 'gone' }), undefined);

    // The last finalizer removed: the server answers the object and deletes it, and the informer
    // (at a later resourceVersion) has seen it go before the answer is recorded.
    seed(ConfigMap, { ...cm('held', {}), metadata: { ...cm('held', {}).metadata, finalizers: ['f'] } });
    const patch = server.patch.bind(server);
    server.patch = async (target, body, options) => {
      const answer = await patch(target, body, options);
      configMaps.remove(target.key);
      configMaps.lastSyncResourceVersion = String(server.rv + 1);
      return answer as never;
    };
    await client.mutate<KubeObject>(ConfigMap, { namespace: 'ns', name: 'held' }, (d) => {
      d.metadata.finalizers = [];
    });
    assert.equal(base.pendingWrites, 0);
    assert.equal(await client.get(ConfigMap, { namespace: 'ns', name: 'held' }), undefined, 'not the removed object');
  });

  it('lists by the owner index without the just-written objects of other owners', async () => {
    const { client, informers, seed } = setup();
    informers.of(ConfigMap).addIndex(OWNER_INDEX, byOwnerUid);
    const owned = (name: string, owner: string): KubeObject => ({
      ...cm(name, {}),
      metadata: {
        namespace: 'ns',
        name,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: owner, uid: owner, controller: true }],
      },
    });
    assert.deepEqual(await client.list(ConfigMap, { index: { name: OWNER_INDEX, value: 'a' } }), []);
    await client.create(ConfigMap, owned('of-a', 'a'));
    await client.create(ConfigMap, owned('of-b', 'b'));
    // The informer has seen neither create yet: the overlay answers, filtered by the index.
    const listed = await client.list(ConfigMap, { index: { name: OWNER_INDEX, value: 'a' } });
    assert.deepEqual(
      listed.map((o) => o.metadata.name),
      ['of-a'],
    );
    // A written version that left the index is not listed under it either.
    seed(ConfigMap, owned('moved', 'a'));
    await client.mutate<KubeObject>(
      ConfigMap,
      { namespace: 'ns', name: 'moved' },
      (d) => {
        d.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Secret', name: 'b', uid: 'b', controller: true }];
      },
      { optimisticLock: false },
    );
    const again = await client.list(ConfigMap, { index: { name: OWNER_INDEX, value: 'a' } });
    assert.deepEqual(again.map((o) => o.metadata.name).sort(), ['of-a']);
  });

  it('skips an apply when the cache holds every applied field and nothing owned is dropped', async () => {
    const { server, client, informers } = setup();
    const desired = cm('a', { x: '1' });
    const first = await client.apply(desired, { fieldManager: 'mgr' });
    assert.equal(first.sent, true);
    informers.of(ConfigMap).upsert(await server.get(ConfigMap, { namespace: 'ns', name: 'a' }));
    const again = await client.apply(cm('a', { x: '1' }), { fieldManager: 'mgr' });
    assert.equal(again.sent, false);
    // Dropping a field this manager applied must be sent (the server removes it).
    const smaller = await client.apply({ ...cm('a', {}), data: undefined }, { fieldManager: 'mgr' });
    assert.equal(smaller.sent, true);
    assert.equal(server.sent.length, 2);
    assert.equal(server.sent[0].options?.fieldManager, 'mgr');
  });

  it('does not skip an apply to a re-created object on the strength of what it applied to the old one', async () => {
    const { server, client, informers } = setup();
    const first = await client.apply(cm('a', { x: '1' }), { fieldManager: 'mgr' });
    assert.equal(first.sent, true);
    const inf = informers.of(ConfigMap);
    inf.upsert({
      ...(await server.get(ConfigMap, { namespace: 'ns', name: 'a' })),
      metadata: { ...first.object!.metadata, uid: 'u1' },
    });
    // Deleted and created again by someone else with the same data: we own nothing in it.
    inf.remove({ namespace: 'ns', name: 'a' });
    inf.upsert({ ...cm('a', { x: '1' }), metadata: { namespace: 'ns', name: 'a', uid: 'u2' } });
    const again = await client.apply(cm('a', { x: '1' }), { fieldManager: 'mgr' });
    assert.equal(again.sent, true, 'the apply takes ownership of the new object');
    assert.equal(server.sent.length, 2);
  });

  it('adds and removes finalizers only when needed and skips deleting what is gone', async () => {
    const { server, client, seed, informers } = setup();
    const obj = seed(ConfigMap, cm('a', {}));
    await client.ensureFinalizer(obj, 'kloop.dev/cleanup');
    informers.of(ConfigMap).upsert(await server.get(ConfigMap, { namespace: 'ns', name: 'a' }));
    await client.ensureFinalizer(obj, 'kloop.dev/cleanup');
    assert.equal(server.sent.length, 1);
    assert.deepEqual((server.sent[0].body as KubeObject).metadata.finalizers, ['kloop.dev/cleanup']);
    await client.removeFinalizer(obj, 'kloop.dev/cleanup');
    assert.equal(server.sent.length, 2);
    assert.equal(await client.delete(ConfigMap, { namespace: 'ns', name: 'missing' }), false);
    assert.equal(server.sent.length, 2);
  });

  it('aggregates repeated Events into one create and a count', async () => {
    const { server, base, clock } = setup();
    const obj = cm('a', {});
    // Each reconcile has its own view of the client; the series is shared between them.
    for (let i = 0; i < 5; i++)
      await base.scoped({ controller: `r${i}` }).events.record(obj, { reason: 'Synced', message: 'ok' });
    const creates = server.sent.filter((s) => s.verb === 'create');
    assert.equal(creates.length, 1);
    assert.equal((creates[0].body as KubeObject).kind, 'Event');
    assert.equal(server.sent.length, 1, 'repeats within the window send nothing');
    clock.advance(10_000);
    await base.events.record(obj, { reason: 'Synced', message: 'ok' });
    assert.equal(server.sent.length, 2);
    assert.deepEqual((server.sent[1].body as { count: number }).count, 6);
  });

  it('creates the Event again when the server no longer has it (Events expire after an hour)', async () => {
    const { server, base, clock } = setup();
    const obj = cm('a', {});
    await base.events.record(obj, { reason: 'Synced', message: 'ok' });
    const event = server.sent[0].body as KubeObject;
    // The API server's event TTL removed it.
    server.objects.clear();
    clock.advance(10_000);
    await base.events.record(obj, { reason: 'Synced', message: 'ok' });
    clock.advance(10_000);
    await base.events.record(obj, { reason: 'Synced', message: 'ok' });
    const creates = server.sent.filter((s) => s.verb === 'create');
    assert.equal(creates.length, 2, 'a 404 on the count patch starts a new series');
    assert.notEqual((creates[1].body as KubeObject).metadata.name, event.metadata.name);
  });

  it('keeps apart the Events of objects without a uid that share a name (other namespace or kind)', async () => {
    const { server, base } = setup();
    const a = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'a', name: 'x' } };
    const b = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'b', name: 'x' } };
    const c = { apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'a', name: 'x' } };
    for (const o of [a, b, c]) await base.events.record(o, { reason: 'Synced', message: 'ok' });
    const creates = server.sent
      .filter((s) => s.verb === 'create')
      .map((s) => (s.body as { involvedObject: { kind: string; namespace: string } }).involvedObject);
    assert.deepEqual(
      creates.map((o) => `${o.kind} ${o.namespace}`),
      ['ConfigMap a', 'ConfigMap b', 'Secret a'],
    );
  });

  it('refuses every write while fenced, sending nothing', async () => {
    const server = new FakeServer();
    let allowed = false;
    const fence = () => (allowed ? undefined : AbortSignal.abort());
    const client = new CachedClient({ transport: server, informers: new FakeInformers(), fence });
    await assert.rejects(client.create(ConfigMap, cm('a', {})), (err) => err instanceof WriteFencedError);
    assert.equal(server.sent.length, 0);
    allowed = true;
    await client.create(ConfigMap, cm('a', {}));
    assert.equal(server.sent.length, 1);
  });

  it('a write cannot leave without asking the fence: the compiler refuses a signal of its own', async () => {
    const server = new FakeServer();
    const transport: WriteTransport = server;
    const own = new AbortController().signal;
    // Checked by the compiler (`npm test` runs tsc on the tests), never run: each of these
    // compiled before, fenced by nothing, as any signal, or none, satisfied the options.
    const unfenced = async () => {
      // @ts-expect-error a write's options come from fenceWrite, not from the caller
      await transport.create(cm('a', {}), { signal: undefined });
      // @ts-expect-error the caller's own signal is not the fence's
      await transport.delete(ConfigMap, { namespace: 'ns', name: 'a' }, { signal: own });
      const target = { type: ConfigMap, key: { namespace: 'ns', name: 'a' } };
      // @ts-expect-error nor for a patch
      await transport.patch(target, {}, { type: 'merge', signal: own });
    };
    void unfenced;
    // What compiles: the fence asked, its answer spread into the options.
    const fenced = fenceWrite(undefined, { type: ConfigMap, key: { namespace: 'ns', name: 'b' } }, own);
    assert.equal(fenced.signal, own, "no fence: the caller's own signal goes through");
    await transport.create(cm('b', {}), { ...fenced });
    assert.equal(server.sent.length, 1);
    const closed = () => AbortSignal.abort();
    assert.throws(() => fenceWrite(closed, { type: ConfigMap, key: { name: 'c' } }), WriteFencedError);
  });

  it('sends no patch for a null the server returned that the desired object leaves out', async () => {
    // API servers return Deployments with `spec.template.metadata.creationTimestamp: null`; a
    // desired template built in code has no such key. Null and absent mean the same to a merge
    // patch, so there is nothing to send, in either direction.
    const { server, client, seed } = setup();
    const current = seed(Deployment, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { namespace: 'ns', name: 'd' },
      spec: { replicas: 1, template: { metadata: { creationTimestamp: null, labels: { app: 'd' } } } },
    });
    const built = { metadata: { labels: { app: 'd' } } };
    const m = await client.mutate<KubeObject>(Deployment, { namespace: 'ns', name: 'd' }, (d) => {
      (d.spec as Record<string, unknown>).template = built;
    });
    assert.equal(m.sent, false);
    const p = await client.patch(current, { ...deepClone(current), spec: { replicas: 1, template: built } });
    assert.equal(p.sent, false);
    const locked = await client.patch(
      current,
      { ...deepClone(current), spec: { replicas: 1, template: built } },
      { optimisticLock: true },
    );
    assert.equal(locked.sent, false);
    const back = await client.patch({ ...deepClone(current), spec: { replicas: 1, template: built } }, current);
    assert.equal(back.sent, false);
    assert.equal(server.sent.length, 0);
    // A real change next to the null still goes, without the null.
    const changed = await client.patch(current, { ...deepClone(current), spec: { replicas: 2, template: built } });
    assert.equal(changed.sent, true);
    assert.deepEqual(server.sent[0].body, { spec: { replicas: 2 } });
  });

  it('removes a field deleted from the draft or set to null with a null in the merge patch', async () => {
    const { server, client, seed } = setup();
    seed(ConfigMap, {
      ...cm('a', { x: '1', y: '2' }),
      metadata: { namespace: 'ns', name: 'a', labels: { keep: '1', drop: '1' } },
    });
    await client.mutate<KubeObject>(
      ConfigMap,
      { namespace: 'ns', name: 'a' },
      (d) => {
        delete d.metadata.labels!.drop;
        (d.data as Record<string, string | null>).y = null;
      },
      { optimisticLock: false },
    );
    assert.deepEqual(server.sent[0].body, { metadata: { labels: { drop: null } }, data: { y: null } });
  });

  it('attributes to each of a spec and status request only the fields it carries', async () => {
    const { client, seed, writes } = setup();
    const current = seed(Deployment, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { namespace: 'ns', name: 'd' },
      spec: { replicas: 1 },
      status: { ready: 0 },
    });
    await client.patch(current, {
      ...deepClone(current),
      metadata: { ...current.metadata, labels: { a: 'b' } },
      spec: { replicas: 2 },
      status: { ready: 2 },
    });
    assert.deepEqual(
      writes.map((w) => [w.kind, w.fields]),
      [
        ['patch', ['metadata.labels', 'spec']],
        ['status', ['status']],
      ],
    );
  });

  it('attributes to an apply only the applied fields whose values change, not what it leaves out', async () => {
    const { client, seed, writes } = setup();
    seed(Deployment, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { namespace: 'ns', name: 'd', labels: { app: 'd' }, finalizers: ['x'] },
      spec: { replicas: 1, paused: false },
      status: { ready: 1 },
    });
    const out = await client.apply(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { namespace: 'ns', name: 'd', labels: { app: 'd' } },
        spec: { replicas: 2 },
      },
      { fieldManager: 'mgr' },
    );
    assert.equal(out.sent, true);
    assert.deepEqual(
      writes.map((w) => [w.kind, w.fields]),
      [['apply', ['spec']]],
    );
  });

  it('labels sent and skipped writes of a custom resource with the same resource (its plural)', async () => {
    const Website = { apiVersion: 'example.com/v1', kind: 'Website' };
    const server = new FakeServer();
    const transport: WriteTransport = Object.assign(server, {
      resolve: async () => ({
        apiVersion: 'example.com/v1',
        kind: 'Website',
        group: 'example.com',
        version: 'v1',
        plural: 'websites',
        singular: 'website',
        namespaced: true,
        subresources: ['status'],
        listKind: 'WebsiteList',
      }),
    });
    const informers = new FakeInformers();
    const registry = new Registry();
    const client = new CachedClient({ transport, informers, registry }).scoped({ controller: 'ctl' });
    const site = server.put(Website, {
      apiVersion: 'example.com/v1',
      kind: 'Website',
      metadata: { namespace: 'ns', name: 'w' },
      spec: { a: 1 },
    });
    informers.of(Website).upsert(site);
    await client.patch(site, { ...site, spec: { a: 2 } });
    await client.patch(site, deepClone(site));
    const labels = async (name: string) =>
      (await registry.getSingleMetric(name)!.get()).values.map((v) => v.labels.resource);
    assert.deepEqual(await labels('kloop_client_writes_total'), ['websites']);
    assert.deepEqual(await labels('kloop_client_writes_skipped_total'), ['websites']);
  });

  it('never logs the data of a Secret it writes, even at debug level', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => lines.push(line) });
    const server = new FakeServer();
    const informers = new FakeInformers();
    const client = new CachedClient({ transport: server, informers, logger }).scoped({ controller: 'ctl' });
    const Secret = { apiVersion: 'v1', kind: 'Secret' };
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { namespace: 'ns', name: 's' },
      data: { password: 'aHVudGVyMg==' },
    };
    await client.list(Secret);
    const created = await client.create(Secret, secret);
    informers.of(Secret).upsert(created);
    await client.patch(created, { ...created, data: { password: 'c3dvcmRmaXNo' } });
    await client.apply({ ...secret, stringData: { token: 'plain-text-token' } }, { fieldManager: 'mgr' });
    assert.ok(lines.length >= 3, 'each write is logged');
    for (const line of lines) {
      assert.doesNotMatch(line, /aHVudGVyMg==|c3dvcmRmaXNo|plain-text-token/);
    }
  });

  it('compares resourceVersions as integers', () => {
    assert.equal(rvAtLeast('10', '9'), true);
    assert.equal(rvAtLeast('9', '10'), false);
    assert.equal(rvAtLeast('abc', 'abd'), false);
    assert.equal(rvAtLeast('abc', 'abc'), true);
  });
});
