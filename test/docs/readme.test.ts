// The README's controller, taken from README.md as it stands and run against the emulator.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigMap, KubeClient, type KubeObject, type Manager, Secret } from 'kloop';
import { startApiServer } from 'kloop/apiserver';
import { linkPackage, markdownBlocks } from '../../scripts/doc-examples.js';
import { eventually } from '../support/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The first ts block under the README's "## A controller" heading. */
function readmeController(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const heading = readme.split('\n').indexOf('## A controller') + 1;
  assert.ok(heading > 0, 'the README has a "## A controller" section');
  const block = markdownBlocks(readme, 'README.md').find((b) => b.line > heading);
  assert.ok(block, 'a ts block follows the heading');
  assert.match(block.code, /^const mgr = new Manager\(/m, 'the block builds its manager as `mgr`');
  return block.code;
}

test('the README controller mirrors a labelled ConfigMap and then sends nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kloop-readme-'));
  let mgr: Manager | undefined;
  const server = await startApiServer({ port: 0 });
  // In this order: the manager lets go of the server before it stops.
  t.after(async () => {
    await mgr?.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  linkPackage(root, dir);
  // The block as written, plus one line that hands its manager to the test.
  const file = join(dir, 'readme-controller.ts');
  writeFileSync(file, `${readmeController()}\nexport { mgr };\n`);

  // `new Manager()` in the README reads $KUBECONFIG, as it would in a user's shell.
  await server.writeKubeconfig(join(dir, 'kubeconfig'));
  const kubeconfig = process.env.KUBECONFIG;
  process.env.KUBECONFIG = join(dir, 'kubeconfig');
  try {
    ({ mgr } = (await import(pathToFileURL(file).href)) as { mgr: Manager });
  } finally {
    if (kubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = kubeconfig;
  }
  assert.ok(mgr);
  // The test plays the user (kubectl) with its own client: the manager's `kube` only reads.
  const admin = KubeClient.fromKubeconfig(server.kubeconfig);
  t.after(() => admin.close());
  await admin.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { namespace: 'default', name: 'a', labels: { mirror: 'true' } },
    data: { k: 'v' },
  });
  const secret = await eventually(
    () => admin.get<KubeObject & { data?: Record<string, string> }>(Secret, { namespace: 'default', name: 'a-copy' }),
    { message: 'the mirror Secret' },
  );
  assert.equal(secret.data?.k, Buffer.from('v').toString('base64'));

  // A change the controller does not read reconciles again, and that reconcile writes nothing.
  const [controller] = mgr.controllers();
  const secretWrites = () =>
    server.stats().count({ verb: ['create', 'update', 'patch', 'delete'], resource: 'secrets' });
  const writesBefore = secretWrites();
  await admin.patch(
    { type: ConfigMap, key: { namespace: 'default', name: 'a' } },
    { metadata: { annotations: { note: 'x' } } },
    { type: 'merge' },
  );
  const reconcile = await eventually(
    () =>
      controller!
        .reconciles()
        .find((r) => r.triggers.some((tr) => tr.event === 'updated' && tr.changed?.includes('metadata.annotations'))),
    { message: 'a reconcile of the annotation change' },
  );
  assert.equal(reconcile.result, 'success');
  assert.deepEqual(reconcile.writes, [], 'the apply found everything in place and sent nothing');
  assert.equal(secretWrites(), writesBefore, 'no Secret write reached the server');
});
