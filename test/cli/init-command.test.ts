// `kloop init NAME` and `kloop create api KIND`: the project's files, the markers create api
// extends, and the Dockerfile's shape (no Docker daemon here: its build stays out of the tests).
// The whole path (npm pack, install, the project's own tests, manifests, a deployment on the
// secure emulator) is test/e2e/deploy-operator.slow.test.ts.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCommand, initCommand, insertAbove } from '../../src/cli/init/command.js';
import { dockerfile } from '../../src/cli/init/project-templates.js';

/** The stages of a Dockerfile: each `FROM` line with the instructions under it. */
function dockerStages(text: string): { from: string; name?: string; lines: string[] }[] {
  const stages: { from: string; name?: string; lines: string[] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) {
      stages.push({ from: from[1]!, ...(from[2] ? { name: from[2] } : {}), lines: [] });
      continue;
    }
    assert.ok(stages.length > 0, `an instruction before FROM: ${line}`);
    stages.at(-1)!.lines.push(line);
  }
  return stages;
}

describe('kloop init and create api', () => {
  let dir: string;
  let project: string;
  const quiet = { out: () => {} };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kloop-init-'));
    project = join(dir, 'demo-op');
    assert.equal(await initCommand(['demo-op', '--dir', project, '--kloop', '/tmp/kloop-1.2.3.tgz'], quiet), 0);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes a project that compiles TypeScript and runs the compiled JavaScript', async () => {
    const pkg = JSON.parse(await readFile(join(project, 'package.json'), 'utf8'));
    assert.equal(pkg.dependencies.kloop, 'file:/tmp/kloop-1.2.3.tgz');
    assert.ok(pkg.devDependencies.typescript, 'tsc is a dev dependency');
    assert.equal(pkg.scripts.start, 'node dist/src/main.js');
    assert.match(pkg.scripts.test, /^tsc -p tsconfig\.json && node --test dist\/test\//);
    assert.match(pkg.scripts.manifests, /kloop manifests dist\/src\/operator\.js --out config --name demo-op/);
    const operator = await readFile(join(project, 'src', 'operator.ts'), 'utf8');
    assert.match(operator, /leaderElection: \{ name: 'demo-op' \}/);
    assert.match(operator, /cache: \{ defaultNamespaces: WATCH_NAMESPACES \}/);
    assert.match(operator, /http: \{ port:/);
    const resource = await readFile(join(project, 'src', 'api', 'demo.ts'), 'utf8');
    assert.match(
      resource,
      /export const Demo = defineResource\(\{\n {2}group: 'example\.com',\n {2}version: 'v1alpha1',\n {2}kind: 'Demo',/,
    );
    const test = await readFile(join(project, 'test', 'demo.test.ts'), 'utf8');
    assert.match(test, /from 'kloop'/);
    assert.match(
      test,
      /import \{ recordWrites, startEmulator, startManager, type TestEmulator \} from 'kloop\/testing';/,
    );
    const main = await readFile(join(project, 'src', 'main.ts'), 'utf8');
    assert.match(main, /exitOnSignal\(\(\) => mgr\.stop\(\)/);
    await assert.rejects(initCommand(['demo-op', '--dir', project], quiet), /already holds a project/);
    await assert.rejects(initCommand(['Demo_Op'], quiet), /NAME .* is not valid/);
  });

  it('writes the running kloop version by default', async () => {
    const other = join(dir, 'other');
    await initCommand(['other', '--dir', other, '--kind', 'Widget', '--group', 'widgets.example.org'], quiet);
    const pkg = JSON.parse(await readFile(join(other, 'package.json'), 'utf8'));
    const own = JSON.parse(await readFile('package.json', 'utf8'));
    assert.equal(pkg.dependencies.kloop, `^${own.version}`);
    assert.match(await readFile(join(other, 'src', 'api', 'widget.ts'), 'utf8'), /group: 'widgets\.example\.org'/);
  });

  it('create api adds a resource, its controller and test, and registers them', async () => {
    assert.equal(await createCommand(['api', 'Backup', '--dir', project], quiet), 0);
    const operator = await readFile(join(project, 'src', 'operator.ts'), 'utf8');
    assert.match(
      operator,
      /import \{ Backup \} from '\.\/api\/backup\.js';\nimport \{ setupBackupController \} from '\.\/controllers\/backup\.js';\n\/\/ \+kloop:scaffold:imports/,
    );
    assert.match(operator, / {2}Demo,\n {2}Backup,\n {2}\/\/ \+kloop:scaffold:resources/);
    assert.match(operator, / {2}setupDemoController\(mgr\);\n {2}setupBackupController\(mgr\);\n/);
    assert.match(await readFile(join(project, 'src', 'controllers', 'backup.ts'), 'utf8'), /\.controller\('backup'\)/);
    assert.match(await readFile(join(project, 'test', 'backup.test.ts'), 'utf8'), /Hello from Backup/);
    await assert.rejects(createCommand(['api', 'Backup', '--dir', project], quiet), /exists already/);
    await assert.rejects(createCommand(['api', 'backup', '--dir', project], quiet), /KIND .* is not valid/);
    await assert.rejects(createCommand(['webhook', 'Backup'], quiet), /knows "api" only/);
    assert.throws(() => insertAbove('no marker', '// +m', 'x', 'f.ts'), /marker \/\/ \+m is missing/);
  });

  it('writes a multi-stage Dockerfile whose last stage runs compiled code as non-root without dev dependencies', async () => {
    const text = await readFile(join(project, 'Dockerfile'), 'utf8');
    assert.equal(text, dockerfile());
    const stages = dockerStages(text);
    assert.ok(stages.length >= 2, 'multi-stage');
    const final = stages.at(-1)!;
    const user = final.lines.find((l) => /^USER\s/i.test(l));
    assert.ok(user, 'the last stage sets USER');
    const uid = user.split(/\s+/)[1]!.split(':')[0]!;
    assert.match(uid, /^[1-9][0-9]*$/, 'a numeric non-root user, which kubelet can check against runAsNonRoot');
    // Dependencies in the last stage come from a stage that installed production ones only.
    for (const line of final.lines) {
      assert.doesNotMatch(line, /^RUN\s+npm\s+(ci|install)(?!.*--omit=dev)/, `dev dependencies installed: ${line}`);
      const copied = /^COPY\s+--from=(\S+)\s+(\S+)/.exec(line);
      if (copied && copied[2]!.includes('node_modules')) {
        const source = stages.find((s) => s.name === copied[1]);
        assert.ok(source, `stage ${copied[1]}`);
        assert.ok(
          source.lines.some((l) => /npm ci --omit=dev/.test(l)),
          `node_modules copied from stage ${copied[1]}, which installs dev dependencies`,
        );
      }
    }
    const cmd = final.lines.find((l) => l.startsWith('CMD'));
    assert.equal(cmd, 'CMD ["node", "dist/src/main.js"]', 'runs the compiled JavaScript, no TypeScript loader');
  });
});
