// Redaction of what the framework emits: the values of cached Secrets masked in any text (error
// messages, stacks, causes, any log field), Secret-shaped objects without a kind, and the
// shutdown lines as JSON through a logger. Also the default replica identity.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { KubeObject } from '../../src/core/index.js';
import {
  defaultIdentity,
  exitOnSignal,
  MIN_MASKED_LENGTH,
  REDACTED,
  redactingLogger,
  redactSecrets,
  SecretValues,
} from '../../src/manager/index.js';
import { FakeInformer } from '../collections/fake-informer.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

type SecretObject = KubeObject & { data: Record<string, string> };

function secrets() {
  const informer = new FakeInformer<SecretObject>({ apiVersion: 'v1', kind: 'Secret' });
  const configMaps = new FakeInformer({ apiVersion: 'v1', kind: 'ConfigMap' });
  const values = new SecretValues(() => [informer, configMaps]);
  return { informer, configMaps, values };
}

describe('SecretValues', () => {
  it('masks each cached value, base64 and decoded', () => {
    const { informer, values } = secrets();
    informer.upsert({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { namespace: 'a', name: 'db' },
      data: {
        password: b64('hunter2-hunter2'),
        short: b64('abc'),
        key: b64('-----BEGIN KEY-----\nAAAABBBBCCCCDDDD\n-----END KEY-----'),
      },
    });
    assert.equal(values.mask('login with hunter2-hunter2 failed'), `login with ${REDACTED} failed`);
    assert.equal(values.mask(`stored as ${b64('hunter2-hunter2')}`), `stored as ${REDACTED}`);
    assert.equal(values.mask('abc is too short to mask'), 'abc is too short to mask');
    assert.equal(values.mask('a line AAAABBBBCCCCDDDD of the key'), `a line ${REDACTED} of the key`);
    assert.ok('abc'.length < MIN_MASKED_LENGTH);
  });

  // A reconcile that read the Secret before it was rotated (or deleted) may quote the old value
  // after the informer has moved on: most likely when the old value is what just failed.
  it('a rotated or deleted Secret keeps its old values masked, a bounded number of them', () => {
    const informer = new FakeInformer<SecretObject>({ apiVersion: 'v1', kind: 'Secret' });
    const values = new SecretValues(() => [informer], { retiredLimit: 2 });
    const secret = (password: string) =>
      informer.upsert({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { namespace: 'a', name: 'db' },
        data: { password: b64(password) },
      });
    values.follow(informer);
    secret('hunter2-hunter2');
    secret('rotated-value-2');
    assert.equal(values.mask('hunter2-hunter2 rotated-value-2'), `${REDACTED} ${REDACTED}`, 'old and new');
    assert.equal(values.mask(b64('hunter2-hunter2')), REDACTED, 'the old base64 form too');
    informer.remove('a/db');
    assert.equal(values.mask('rotated-value-2'), REDACTED, 'deleted: still masked');
    assert.equal(values.size, 0, 'no cached Secret holds a value now');
    // Retired values are kept up to the limit, the most recently retired first: here four values
    // (two of them base64 forms) have been retired, and the limit keeps the last two.
    assert.equal(values.mask('rotated-value-2'), REDACTED);
    assert.equal(values.mask('hunter2-hunter2'), 'hunter2-hunter2', 'the oldest retired value is forgotten');
  });

  it('redactSecrets with a mask: every string, error messages included; objects with data and no kind', () => {
    const { informer, values } = secrets();
    informer.upsert({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { namespace: 'a', name: 't' },
      data: { token: b64('tok-123456') },
    });
    const doc = redactSecrets(
      {
        error: 'GET https://api/x?token=tok-123456 failed',
        err: new Error('bad token tok-123456', { cause: new Error('inner tok-123456') }),
        bare: { metadata: { name: 'x' }, data: { password: 'plain' } },
        configMap: { kind: 'ConfigMap', metadata: { name: 'c' }, data: { shown: 'yes' } },
      },
      { mask: (t) => values.mask(t) },
    );
    assert.equal(doc.error, `GET https://api/x?token=${REDACTED} failed`);
    const err = doc.err as unknown as { message: string; stack: string; cause: { message: string } };
    assert.equal(err.message, `bad token ${REDACTED}`);
    assert.ok(!err.stack.includes('tok-123456'));
    assert.equal(err.cause.message, `inner ${REDACTED}`);
    assert.deepEqual(doc.bare.data, { password: REDACTED });
    assert.deepEqual(doc.configMap.data, { shown: 'yes' }, 'a kind that is not Secret keeps its data');
  });
});

describe('redactingLogger', () => {
  it('masks fields and errors (message, stack, causes) of every line, children included', () => {
    const lines: Array<Record<string, unknown>> = [];
    const base = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const log = redactingLogger(base, (t) => t.replaceAll('s3cret-value', REDACTED)).child({ controller: 'c' });
    log.error(
      { err: new Error('login s3cret-value', { cause: new Error('because s3cret-value') }), url: '/x?p=s3cret-value' },
      'failed',
    );
    log.debug({ object: { metadata: { name: 'x' }, data: { k: 'v' } } }, 'debug');
    const [first, second] = lines;
    const err = first!.err as { type: string; message: string; stack: string };
    assert.equal(err.type, 'Error');
    assert.ok(err.message.includes(`login ${REDACTED}`) && !err.message.includes('s3cret'), err.message);
    assert.ok(!err.stack.includes('s3cret'));
    assert.equal(first!.url, `/x?p=${REDACTED}`);
    assert.equal(first!.controller, 'c');
    assert.deepEqual((second!.object as { data: unknown }).data, { k: REDACTED });
  });
});

describe('exitOnSignal', () => {
  it('writes its lines as JSON through the logger', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const exits: number[] = [];
    const remove = exitOnSignal(async () => {}, { signals: ['SIGWINCH'], logger, exit: (c) => exits.push(c) });
    try {
      process.emit('SIGWINCH', 'SIGWINCH');
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(exits, [0]);
      assert.equal(lines[0]!.msg, 'SIGWINCH received, stopping (deadline 25000 ms)');
      assert.equal(lines[0]!.signal, 'SIGWINCH');
    } finally {
      remove();
    }
  });
});

describe('defaultIdentity', () => {
  it('is the pod name plus a unique suffix, a valid object name', () => {
    const a = defaultIdentity({ POD_NAME: 'memcached-operator-7d9f-x2' });
    const b = defaultIdentity({ POD_NAME: 'memcached-operator-7d9f-x2' });
    assert.match(a, /^memcached-operator-7d9f-x2-[0-9a-f]{8}$/);
    assert.notEqual(a, b, 'a restarted container is not its predecessor');
    assert.match(defaultIdentity({ HOSTNAME: 'Node_1' }), /^node-1-[0-9a-f]{8}$/);
  });
});
