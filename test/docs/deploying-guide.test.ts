// The "Deploying an operator" guide shows the files `kloop init demo-op` writes: each block
// named after a project file must be that file as the generator writes it today (the doc check
// compiles them), and the Dockerfile block the generated Dockerfile.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { markdownBlocks } from '../../scripts/doc-examples.js';
import { type ApiNames, controllerFile, resourceFile, testFile } from '../../src/cli/init/api-templates.js';
import { dockerfile, mainFile, operatorFile, type ProjectFacts } from '../../src/cli/init/project-templates.js';

const GUIDE = 'docs/guides/deploying-an-operator.md';

test('the guide shows the generated project as kloop init writes it', () => {
  const text = readFileSync(GUIDE, 'utf8');
  const facts: ProjectFacts = {
    name: 'demo-op',
    kloop: '^0.0.0',
    typescript: '',
    typesNode: '',
    group: 'example.com',
    version: 'v1alpha1',
  };
  const names: ApiNames = {
    kind: 'Demo',
    lower: 'demo',
    plural: 'demos',
    group: 'example.com',
    version: 'v1alpha1',
    operator: 'demo-op',
  };
  const expected: Record<string, string> = {
    'src/api/demo.ts': resourceFile(names),
    'src/controllers/demo.ts': controllerFile(names),
    'src/operator.ts': operatorFile(facts, names),
    'src/main.ts': mainFile(),
    'test/demo.test.ts': testFile(names),
  };
  const blocks = markdownBlocks(text, GUIDE).filter((b) => b.fileName !== undefined);
  assert.deepEqual(blocks.map((b) => b.fileName).sort(), Object.keys(expected).sort());
  for (const block of blocks) {
    const body = block.code.split('\n').slice(1).join('\n');
    assert.equal(
      `${body}\n`,
      expected[block.fileName!],
      `${GUIDE}:${block.line}: ${block.fileName} differs from kloop init's`,
    );
  }
  const docker = /```dockerfile\n([\s\S]*?)```/.exec(text);
  assert.equal(docker?.[1], dockerfile());
});
