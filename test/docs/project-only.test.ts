// The docs, the changelog and the sources' comments speak of the project only: no issue numbers
// of this project, no files outside the repository (a spec or design note the reader cannot open,
// a path on a developer's machine). Upstream issues stay citable: they carry their project and a
// `#` ("controller-runtime issue #2417").
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { filesUnder } from '../support/files.js';

const OUTSIDE = [
  { pattern: /\bissues? \d+/i, why: 'an issue number of this project' },
  { pattern: /APISERVER-SPEC|\b(DESIGN|STYLE|ANCHORS)\.md\b|\.\.\/shared\//, why: 'a file outside the repository' },
  { pattern: /\/work\//, why: 'a path on a developer machine' },
];

test('README, docs, CHANGELOG, examples and the code speak of the project only', () => {
  const texts = [
    'README.md',
    'CHANGELOG.md',
    ...filesUnder('docs', (p) => p.endsWith('.md')),
    ...['src', 'test', 'examples', 'bench', 'scripts'].flatMap((d) =>
      filesUnder(d, (p) => /\.(ts|mjs|js)$/.test(p) && !p.includes(`${join('test', 'docs', 'project-only')}`)),
    ),
  ];
  const found: string[] = [];
  for (const file of texts) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const { pattern, why } of OUTSIDE)
          if (pattern.test(line)) found.push(`${file}:${i + 1}: ${why}: ${line.trim()}`);
      });
  }
  assert.deepEqual(found, []);
});
