import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { KubeClient } from '../../src/client/index.js';
import { listContinueOf } from '../../src/client/list-head.js';
import { ConfigMap } from '../../src/core/index.js';
import { InstantClock, startServer } from './helpers.js';

const head = (text: string) => listContinueOf(Buffer.from(text));

describe('listContinueOf', () => {
  it('reads the continue token of a list whose metadata comes before its items', () => {
    const body =
      '{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"9","continue":"eyJ2Ijo5fQ","remainingItemCount":3},"items":[{"metadata":{"name":"a"}}]}';
    for (let cut = 0; cut < body.length; cut++) {
      const got = head(body.slice(0, cut));
      const complete = body.indexOf(',"items"');
      assert.deepEqual(
        got,
        cut >= complete ? { state: 'found', continue: 'eyJ2Ijo5fQ' } : { state: 'more' },
        `cut at ${cut}`,
      );
    }
    assert.deepEqual(head('{"metadata":{"resourceVersion":"9"},"items":[]}'), { state: 'found', continue: undefined });
    assert.deepEqual(head('{"metadata":{"continue":""},"items":[]}'), { state: 'found', continue: undefined });
    assert.deepEqual(head(' {\n "kind" : "X", "metadata" : { "continue" : "a\\"b" } , "items": ['), {
      state: 'found',
      continue: 'a"b',
    });
  });

  it('says unknown when the items come first or the body is not a list as expected', () => {
    for (const body of [
      '{"items":[],"metadata":{"continue":"x"}}',
      '{"kind":"List","other":[1],"metadata":{"continue":"x"}}',
      '[{"metadata":{}}]',
      '{"metadata":"x","items":[]}',
      '{"metadata":{"continue":5},"items":[]}',
      '{"metadata":{"continue":"x",},"items":[]}',
      '{"kind" "x"}',
      'not json',
    ]) {
      assert.deepEqual(head(body), { state: 'unknown' }, body);
    }
  });
});

describe('KubeClient.listPage onContinue', () => {
  it('announces the next page before the items have arrived', async () => {
    let announced!: () => void;
    const early = new Promise<boolean>((resolve) => {
      announced = () => resolve(true);
      // Only if the announcement never comes: the test fails instead of waiting forever.
      setTimeout(() => resolve(false), 5000).unref();
    });
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(
        '{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"next"},"items":[',
      );
      void early.then((wasEarly) => {
        res.end(`{"metadata":{"name":"a","namespace":"n","annotations":{"early":"${wasEarly}"}}}]}`);
      });
    });
    const client = KubeClient.fromKubeconfig(server.kubeconfig({ token: 't' }), {
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
      clock: new InstantClock(),
    });
    try {
      const tokens: Array<string | undefined> = [];
      const page = await client.listPage(ConfigMap, {
        namespace: 'n',
        onContinue: (token) => {
          tokens.push(token);
          announced();
        },
      });
      assert.deepEqual(tokens, ['next']);
      assert.equal(page.metadata.continue, 'next');
      assert.equal(page.items[0].metadata.annotations?.early, 'true', 'announced while the server held the items back');
    } finally {
      client.close();
      await server.close();
    }
  });
});
