// The debug record and what the manager emits, over HTTP: a reconcile that throws an error quoting
// a cached Secret's value shows it masked in /debug/kloop and in the logs; the record is bounded
// per controller and filtered by controller, key and result; a record joins to its log lines by
// reconcile ID (ctx.log lines and the one outcome line); triggers and writes carry deep changed
// paths; every line is JSON.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { KubeClient } from '../../src/client/index.js';
import type { ReconcileRecord } from '../../src/controller/index.js';
import { ConfigMap, type KubeObject, Secret, TerminalError } from '../../src/core/index.js';
import { Manager, type ManagerDescription, REDACTED } from '../../src/manager/index.js';
import { eventually } from '../support/index.js';

const PASSWORD = 'correct-horse-battery-staple';
const PASSWORD_B64 = Buffer.from(PASSWORD).toString('base64');

type ConfigMapObject = KubeObject & { data?: Record<string, string> };
type SecretObject = KubeObject & { data?: Record<string, string> };

let server: ApiServer;
let admin: KubeClient;

before(async () => {
  server = await startApiServer();
  admin = KubeClient.fromKubeconfig(server.kubeconfig, { logger: pino({ level: 'silent' }) });
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rec' } });
  await admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { namespace: 'rec', name: 'db' },
    data: { password: PASSWORD_B64 },
  });
});
after(async () => {
  admin.close();
  await server.stop();
});

test('a Secret value in a reconcile error is masked in /debug/kloop and the logs; the record is bounded, filtered and joins to the logs', async () => {
  const raw: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void raw.push(line) });
  // Scoped to the test's namespace: the sources and ctx.client read the same informers.
  const mgr = new Manager({
    kubeconfig: server.kubeconfig,
    logger,
    cache: { defaultNamespaces: ['rec'] },
    debug: {},
    drainTimeoutMs: 1_000,
  });
  mgr
    .controller('login')
    .for(ConfigMap)
    .options({ recordSize: 3 })
    .reconcile(async (req, ctx) => {
      const cm = await ctx.client.get<ConfigMapObject>(ConfigMap, req.key);
      const secret = await ctx.client.get<SecretObject>(Secret, { namespace: 'rec', name: 'db' });
      const password = Buffer.from(secret!.data!.password!, 'base64').toString();
      ctx.log.info({ step: 'read' }, 'read the credentials');
      if (cm?.data?.mode === 'fail') {
        const err = new Error(`cannot log in as admin with password ${password}`);
        // Three retries, then give up: the key's records stop at four.
        throw req.retries >= 3 ? new TerminalError(err) : err;
      }
      await ctx.client.mutate<ConfigMapObject>(ConfigMap, req.key, (d) => {
        d.metadata.labels = { ...d.metadata.labels, app: 'logged-in' };
      });
    });
  mgr
    .controller('secrets')
    .for(Secret)
    .reconcile(async () => {});
  mgr.addDebugSection('raw', () => ({ object: { metadata: { name: 'x' }, data: { password: 'shown?' } } }));
  try {
    await mgr.start();
    await admin.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'rec', name: 'good' }, data: {} });
    const success = await eventually(
      () => mgr.reconciles({ controller: 'login', key: 'rec/good', result: 'success' }).at(0),
      { message: 'rec/good reconciled' },
    );
    // Deep changed paths: the write, and the trigger of an update.
    const wrote = success.writes[0]!;
    assert.equal(wrote.type, 'v1/ConfigMap');
    assert.equal(wrote.key, 'rec/good');
    assert.deepEqual(wrote.fields, ['metadata.labels']);
    assert.deepEqual(wrote.changedPaths, ['metadata.labels.app']);
    assert.match(success.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(success.durationMs >= 0);
    await admin.patch(
      { type: ConfigMap, key: { namespace: 'rec', name: 'good' } },
      { data: { 'config.yaml': 'a: 1' } },
      { type: 'merge' },
    );
    const update = await eventually(
      () =>
        mgr
          .reconciles({ controller: 'login', key: 'rec/good' })
          .flatMap((r: ReconcileRecord) => r.triggers)
          .find((t) => t.event === 'updated' && t.changed?.includes('data')),
      { message: 'the update reconciled' },
    );
    assert.deepEqual(update.changed, ['data']);
    assert.deepEqual(update.changedPaths, ['data["config.yaml"]']);

    await admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'rec', name: 'bad' },
      data: { mode: 'fail' },
    });
    // The failing key retries three times, then fails for good: four records in a ring of three.
    await eventually(() => mgr.reconciles({ controller: 'login', result: 'terminal_error' }).length === 1, {
      message: 'rec/bad to give up',
    });
    assert.deepEqual(
      mgr.reconciles({ controller: 'login' }).map((r) => `${r.key} ${r.result} ${r.retries}`),
      ['rec/bad error 1', 'rec/bad error 2', 'rec/bad terminal_error 3'],
      'bounded: the oldest records (rec/good, the first failure) are gone',
    );

    const debugUrl = `${mgr.debugUrl}/debug/kloop`;
    const fetchDebug = async (query = '') => (await (await fetch(`${debugUrl}${query}`)).json()) as ManagerDescription;
    const text = await (await fetch(debugUrl)).text();
    assert.ok(!text.includes(PASSWORD), 'no password in /debug/kloop');
    assert.ok(!text.includes(PASSWORD_B64), 'no base64 password in /debug/kloop');
    assert.ok(!text.includes('shown?'), 'an object with data and no kind is redacted');
    const doc = JSON.parse(text) as ManagerDescription;
    const login = doc.controllers.find((c) => c.name === 'login')!;
    assert.equal(login.reconciles.length, 3);
    assert.ok(login.reconciles.every((r) => r.error === `cannot log in as admin with password ${REDACTED}`));

    // Filters: controller, key, result (one or several).
    const errors = await fetchDebug('?controller=login&key=rec/bad&result=error');
    assert.deepEqual(
      errors.controllers.map((c) => c.name),
      ['login'],
    );
    assert.deepEqual(
      errors.controllers[0]!.reconciles.map((r) => `${r.key} ${r.result}`),
      ['rec/bad error', 'rec/bad error'],
    );
    const db = await fetchDebug('?key=rec/db&result=success,requeue_after');
    assert.deepEqual(
      db.controllers.map((c) => c.name),
      ['login', 'secrets'],
      'every controller, records filtered',
    );
    assert.deepEqual(db.controllers[0]!.reconciles, []);
    assert.deepEqual(
      db.controllers[1]!.reconciles.map((r) => `${r.key} ${r.result}`),
      ['rec/db success'],
    );
    assert.deepEqual(db.filter, { key: 'rec/db', result: ['success', 'requeue_after'] });
    const unknown = await fetchDebug('?result=nonsense');
    assert.ok(
      unknown.controllers.every((c) => c.reconciles.length === 0),
      'an unknown result matches nothing',
    );

    // The record joins to the logs by reconcile ID; every line is JSON; no line holds the value.
    const lines = raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(!raw.some((l) => l.includes(PASSWORD) || l.includes(PASSWORD_B64)), 'no password in the logs');
    const joined = lines.filter((l) => l.reconcileID === success.reconcileID);
    assert.deepEqual(
      joined.map((l) => l.msg),
      ['read the credentials', 'write', 'reconciled'],
      'ctx.log, the write and the outcome line of that reconcile',
    );
    assert.ok(
      joined.every((l) => l.key === 'rec/good' && l.controller === 'login'),
      'each with the same controller and key bindings, the write line too',
    );
    const outcome = joined.at(-1)!;
    assert.equal(outcome.level, 20, 'a success is a debug line');
    assert.equal(outcome.result, 'success');
    assert.equal(outcome.key, 'rec/good');
    assert.equal(outcome.controller, 'login');
    const failed = login.reconciles[0]!;
    const errorLine = lines.find(
      (l) => l.reconcileID === failed.reconcileID && l.msg === 'reconcile failed; retrying',
    )!;
    assert.equal(errorLine.level, 50);
    assert.equal((errorLine.err as { message: string }).message, `cannot log in as admin with password ${REDACTED}`);
    assert.ok((errorLine.err as { stack: string }).stack.includes(REDACTED), 'the stack is masked too');
  } finally {
    await mgr.stop();
  }
});

// The record keeps text long after it was written; masking it only on output, with the values
// cached then, showed a rotated or deleted Secret's old value in /debug/kloop.
test('a Secret value kept in the debug record stays masked after the Secret is rotated and deleted', async () => {
  const OLD = 'old-api-token-0123456789';
  const NEW = 'new-api-token-9876543210';
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rot' } });
  await admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { namespace: 'rot', name: 'api' },
    data: { token: b64(OLD) },
  });
  const mgr = new Manager({
    kubeconfig: server.kubeconfig,
    logger: pino({ level: 'silent' }),
    cache: { defaultNamespaces: ['rot'] },
    debug: {},
    drainTimeoutMs: 1_000,
  });
  const key = { namespace: 'rot', name: 'api' };
  mgr
    .controller('rotate')
    .for(ConfigMap)
    .reconcile(async (req, ctx) => {
      const secret = await ctx.client.get<SecretObject>(Secret, key);
      const token = Buffer.from(secret?.data?.token ?? '', 'base64').toString();
      // The first try fails quoting the token: its record, and the retry trigger the next try
      // carries, keep the text.
      if (req.retries === 0) throw new Error(`the API refused token ${token}`);
    });
  try {
    await mgr.start();
    await admin.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'rot', name: 'cfg' }, data: {} });
    await eventually(() => mgr.reconciles({ controller: 'rotate', result: 'success' }).length === 1, {
      message: 'the retry to succeed',
    });
    const debugText = async () => (await fetch(`${mgr.debugUrl}/debug/kloop?controller=rotate`)).text();
    const before = await debugText();
    assert.ok(before.includes(`the API refused token ${REDACTED}`) && !before.includes(OLD));

    await admin.patch({ type: Secret, key }, { data: { token: b64(NEW) } }, { type: 'merge' });
    await eventually(async () => (await mgr.client.get<SecretObject>(Secret, key))?.data?.token === b64(NEW), {
      message: 'the rotation to reach the cache',
    });
    const rotated = await debugText();
    assert.ok(!rotated.includes(OLD), 'the old value stays masked once the Secret is rotated');
    assert.ok(rotated.includes(`the API refused token ${REDACTED}`));

    await admin.delete(Secret, key);
    await eventually(async () => (await mgr.client.get(Secret, key)) === undefined, {
      message: 'the delete to reach the cache',
    });
    assert.ok(!(await debugText()).includes(OLD), 'and once it is deleted');
    assert.deepEqual(
      mgr.reconciles({ controller: 'rotate' }).map((r) => [r.error, r.triggers.map((t) => t.error).filter(Boolean)]),
      [
        [`the API refused token ${REDACTED}`, []],
        [undefined, [`the API refused token ${REDACTED}`]],
      ],
      'what mgr.reconciles() hands to code is masked as well',
    );
  } finally {
    await mgr.stop();
  }
});

// The manager followed a Secret informer only when it next masked something: a Secret rotated
// between the informer's first list and that moment had its old value never known.
test('a Secret informer is followed from its first list: a value rotated away before anything was masked stays masked', async () => {
  const OLD = 'first-listed-value-4242';
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'early' } });
  await admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { namespace: 'early', name: 'api' },
    data: { token: b64(OLD) },
  });
  const lines: string[] = [];
  const mgr = new Manager({
    kubeconfig: server.kubeconfig,
    logger: pino({ level: 'error' }, { write: (l: string) => void lines.push(l) }),
    cache: { defaultNamespaces: ['early'] },
  });
  const key = { namespace: 'early', name: 'api' };
  try {
    await mgr.start();
    assert.equal(
      (await mgr.client.get<SecretObject>(Secret, key))?.data?.token,
      b64(OLD),
      'read: the informer listed it',
    );
    await admin.patch({ type: Secret, key }, { data: { token: b64('second-value-4242') } }, { type: 'merge' });
    await eventually(async () => (await mgr.client.get<SecretObject>(Secret, key))?.data?.token !== b64(OLD), {
      message: 'the rotation to reach the cache',
    });
    mgr.addDebugSection('quote', () => ({ message: `the API refused ${OLD}` }));
    assert.deepEqual(mgr.describe().quote, { message: `the API refused ${REDACTED}` });
    mgr.logger.error({ detail: `the API refused ${OLD}` }, 'refused');
    assert.ok(lines.length === 1 && !lines[0]!.includes(OLD), lines[0]);
  } finally {
    await mgr.stop();
  }
});
