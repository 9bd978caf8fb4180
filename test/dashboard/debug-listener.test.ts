// The debug listener's safety as the dashboard needs it: on loopback it answers only requests
// addressed to a loopback name (a page elsewhere that rebinds its DNS name to 127.0.0.1 must not
// read `/ui/snapshot` or `/debug/kloop`); `stop()` ends open dashboard streams instead of waiting
// on them.
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import pino from 'pino';
import { Manager } from '../../src/manager/index.js';

const nowhere = {
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'c', cluster: { server: 'http://127.0.0.1:1' } }],
  users: [{ name: 'u', user: {} }],
  contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
  'current-context': 'x',
};

/** GET with a Host header of our choosing (fetch does not allow setting it). */
function get(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

describe('the debug listener', () => {
  it('on loopback answers only requests addressed to a loopback name (DNS rebinding)', async () => {
    const mgr = new Manager({ kubeconfig: nowhere, logger: pino({ level: 'silent' }), debug: {} });
    try {
      await mgr.start();
      const { port } = new URL(mgr.debugUrl!);
      for (const path of ['/ui', '/ui/snapshot', '/ui/events', '/debug/kloop']) {
        const rebound = await get(`${mgr.debugUrl}${path}`, `attacker.example:${port}`);
        assert.equal(rebound.status, 403, `${path} for Host attacker.example`);
        assert.match(rebound.body, /loopback/);
      }
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`]) {
        assert.equal((await get(`${mgr.debugUrl}/debug/kloop`, host)).status, 200, `Host ${host}`);
      }
    } finally {
      await mgr.stop();
    }
  });

  it('bound beyond loopback (asked for) takes any Host', async () => {
    const mgr = new Manager({ kubeconfig: nowhere, logger: pino({ level: 'silent' }), debug: { host: '0.0.0.0' } });
    try {
      await mgr.start();
      assert.equal((await get(`${mgr.debugUrl}/debug/kloop`, 'kloop.example:80')).status, 200);
    } finally {
      await mgr.stop();
    }
  });

  it('a debug section the feed cannot carry is logged: start() still resolves, /debug/kloop and /ui answer', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const mgr = new Manager({ kubeconfig: nowhere, logger, debug: {} });
    mgr.addDebugSection('odd', () => ({ big: 1n }));
    try {
      await mgr.start();
      assert.ok(lines.some((l) => String(l.msg).startsWith('dashboard: reading the manager failed')));
      assert.equal((await fetch(`${mgr.debugUrl}/debug/kloop`)).status, 500);
      assert.equal((await fetch(`${mgr.dashboardUrl}`)).status, 200, 'the page itself');
      assert.equal((await fetch(`${mgr.dashboardUrl}/snapshot`)).status, 500);
    } finally {
      await mgr.stop();
    }
  });

  it('stop() ends an open dashboard stream at once', async () => {
    const mgr = new Manager({ kubeconfig: nowhere, logger: pino({ level: 'silent' }), debug: {} });
    await mgr.start();
    const res = await fetch(`${mgr.dashboardUrl}/events`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.match(Buffer.from(first.value!).toString(), /event: snapshot/);
    await mgr.stop();
    // The stream ends (rather than stop() waiting for the page to go away).
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
    }
  });
});
