// The full example of docs/guides/defining-resources.md, taken from the guide as it stands: its
// files are written into a project where `kloop` is this repository, the operator runs against
// the emulator, the invalid Memcached is refused with the message the guide shows, and `kloop
// crd` prints the CRD of the definition module.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yaml from 'js-yaml';
import { Deployment, KubeClient, type Manager, type Resource } from 'kloop';
import { startApiServer } from 'kloop/apiserver';
import { linkPackage, markdownBlocks } from '../../scripts/doc-examples.js';
import { crdCommand } from '../../src/cli/crd-command.js';
import { eventually } from '../support/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const GUIDE = 'docs/guides/defining-resources.md';

/** The named files of the guide's "## A full example" section. */
function exampleFiles(): Map<string, string> {
  const text = readFileSync(join(root, GUIDE), 'utf8');
  const lines = text.split('\n');
  const start = lines.indexOf('## A full example') + 1;
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  assert.ok(start > 0 && end > start, 'the guide has a "## A full example" section');
  const files = new Map<string, string>();
  for (const block of markdownBlocks(text, GUIDE)) {
    if (block.line > start && block.line < end && block.fileName !== undefined) files.set(block.fileName, block.code);
  }
  assert.deepEqual([...files.keys()], ['memcached-resource.ts', 'operator.ts', 'try-it.ts']);
  return files;
}

test('the guide example: the operator scales, the invalid Memcached is refused as shown, kloop crd prints the CRD', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kloop-guide-'));
  linkPackage(root, dir);
  const files = exampleFiles();
  for (const [name, code] of files) writeFileSync(join(dir, name), code);
  const { Memcached } = (await import(pathToFileURL(join(dir, 'memcached-resource.ts')).href)) as {
    Memcached: Resource;
  };

  // try-it.ts: its console output is the message the guide prints below the call.
  const logged: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void logged.push(args.join(' '));
  try {
    await import(pathToFileURL(join(dir, 'try-it.ts')).href);
  } finally {
    console.log = log;
  }
  const shown = /\/\/ (Memcached\.cache\.example\.com "big" is invalid: .*)$/m.exec(files.get('try-it.ts')!)?.[1];
  assert.deepEqual(logged, [shown]);

  // kloop crd of the definition module.
  let printed = '';
  await crdCommand([join(dir, 'memcached-resource.ts')], { out: (s) => (printed += s) });
  assert.deepEqual(yaml.load(printed), Memcached.crd());

  // The operator against the emulator.
  const server = await startApiServer({ resources: [Memcached] });
  let mgr: Manager | undefined;
  t.after(async () => {
    await mgr?.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await server.writeKubeconfig(join(dir, 'kubeconfig'));
  const kubeconfig = process.env.KUBECONFIG;
  process.env.KUBECONFIG = join(dir, 'kubeconfig');
  try {
    ({ mgr } = (await import(pathToFileURL(join(dir, 'operator.ts')).href)) as { mgr: Manager });
  } finally {
    if (kubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = kubeconfig;
  }
  await mgr.start();
  const admin = KubeClient.fromKubeconfig(server.kubeconfig);
  t.after(() => admin.close());
  const key = { namespace: 'default', name: 'cache' };
  await admin.create({ apiVersion: Memcached.apiVersion, kind: Memcached.kind, metadata: key, spec: { size: 3 } });
  const deployment = await eventually(() => admin.get(Deployment, key), { message: 'the Deployment' });
  assert.equal(deployment.spec?.replicas, 3);
  assert.equal(deployment.spec?.template.spec?.containers[0]?.image, 'memcached:1.6', 'the schema default');
  // The test plays the Deployment controller: ready pods show in the Memcached's status.
  await admin.patch(
    { type: Deployment, key },
    { status: { replicas: 3, readyReplicas: 2 } },
    { subresource: 'status' },
  );
  await eventually(
    async () =>
      ((await admin.get(Memcached, key)) as { status?: { readyReplicas?: number } }).status?.readyReplicas === 2,
    { message: 'readyReplicas in the status' },
  );
});
