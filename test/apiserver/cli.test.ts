import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseApiserverArgs } from '../../src/cli/apiserver-command.js';
import { main } from '../../src/cli/main.js';

describe('kloop CLI', () => {
  it('parses apiserver flags and rejects bad ones', () => {
    assert.deepEqual(parseApiserverArgs([]), { port: 6443, host: '127.0.0.1', controllers: true });
    assert.equal(parseApiserverArgs(['--controllers=false']).controllers, false);
    assert.equal(parseApiserverArgs(['--controllers', 'true']).controllers, true);
    assert.throws(() => parseApiserverArgs(['--controllers=maybe']), /invalid --controllers "maybe"/);
    assert.deepEqual(
      parseApiserverArgs(['--port', '0', '--kubeconfig', 'k', '--host', '0.0.0.0', '--history-limit', '5']),
      {
        port: 0,
        host: '0.0.0.0',
        kubeconfig: 'k',
        historyLimit: 5,
        controllers: true,
      },
    );
    assert.deepEqual(parseApiserverArgs(['--secure']), {
      port: 6443,
      host: '127.0.0.1',
      controllers: true,
      secure: true,
    });
    assert.throws(() => parseApiserverArgs(['--port', 'x']), /invalid --port/);
    assert.throws(() => parseApiserverArgs(['--nope']), /Unknown option/);
  });

  it('exits 2 on an unknown subcommand or flag, with a clear message', async () => {
    const errs: string[] = [];
    assert.equal(await main(['frobnicate'], (l) => errs.push(l)), 2);
    assert.match(errs.join('\n'), /unknown command "frobnicate"/);
    assert.equal(await main(['apiserver', '--bogus'], (l) => errs.push(l)), 2);
    assert.match(errs.join('\n'), /Unknown option '--bogus'/);
    assert.equal(await main([], (l) => errs.push(l)), 2);
    const out: string[] = [];
    assert.equal(await main(['apiserver', '--help'], undefined, (l) => out.push(l)), 0);
    assert.match(out.join('\n'), /Usage: kloop apiserver/);
  });

  it('runs `kloop apiserver`: one line on stdout, a kubeconfig, exit 0 on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kloop-cli-'));
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'apiserver', '--port', '0', '--kubeconfig', kubeconfig],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no listening line within 20 s')), 20_000);
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const nl = stdout.indexOf('\n');
          if (nl >= 0) {
            clearTimeout(timer);
            resolve(stdout.slice(0, nl));
          }
        });
        child.once('exit', () => reject(new Error('exited early')));
      });
      assert.match(line, /^kloop apiserver listening on http:\/\/127\.0\.0\.1:\d+$/);
      const url = line.slice('kloop apiserver listening on '.length);
      const config = JSON.parse(await readFile(kubeconfig, 'utf8'));
      assert.equal(config.clusters[0].cluster.server, url);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exit, 0);
      assert.equal(stdout.trim().split('\n').length, 1, 'exactly one line on stdout');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs `kloop apiserver --secure`: an https:// line and a self-contained kubeconfig', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kloop-cli-'));
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'apiserver', '--port', '0', '--secure', '--kubeconfig', kubeconfig],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no listening line within 20 s')), 20_000);
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const nl = stdout.indexOf('\n');
          if (nl >= 0) {
            clearTimeout(timer);
            resolve(stdout.slice(0, nl));
          }
        });
        child.once('exit', () => reject(new Error('exited early')));
      });
      assert.match(line, /^kloop apiserver listening on https:\/\/127\.0\.0\.1:\d+$/);
      const url = line.slice('kloop apiserver listening on '.length);
      const config = JSON.parse(await readFile(kubeconfig, 'utf8'));
      const { cluster } = config.clusters[0];
      assert.equal(cluster.server, url);
      assert.equal(cluster['insecure-skip-tls-verify'], undefined);
      const ca = Buffer.from(cluster['certificate-authority-data'], 'base64').toString();
      assert.ok(config.users[0].user['client-certificate-data'] && config.users[0].user['client-key-data']);
      const status = await new Promise<number>((resolve, reject) => {
        https
          .get(`${url}/healthz`, { ca }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on('error', reject);
      });
      assert.equal(status, 200, 'an anonymous /healthz over verified TLS');
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exit, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
