/**
 * Modules are entered only by their doors. A module is a top-level folder of `src/`; its door is
 * its `index.ts`, plus one `internal.ts` for what sibling modules need and users must not see.
 * The package root (`src/index.ts`) may re-export public doors only; modules import only the
 * layers below them; examples use only the package's entry points, benchmarks only doors. Go gets
 * this from `internal/` packages; here a test keeps it. Imports are read by the TypeScript parser
 * (`test/support/imports.ts`), so every form counts, type-only ones included. Tests are out of
 * scope: they may reach into what they test.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { sourceFiles } from '../support/files.js';
import { moduleSpecifiers as specifiers } from '../support/imports.js';

const SRC = resolve('src');
const DOORS = new Set(['index.ts', 'internal.ts']);

/**
 * The modules each module may import: the layers of `src/`, where data flows one way and the
 * emulator depends only on `core` and `resources`. `cli` is the program on top and may use any door.
 */
const LAYERS: Record<string, readonly string[]> = {
  core: [],
  resources: ['core'],
  client: ['core', 'resources'],
  cache: ['core', 'resources', 'client'],
  controller: ['core', 'resources', 'client', 'cache'],
  collections: ['core', 'resources', 'client', 'cache'],
  statedb: ['core', 'resources', 'client', 'cache'],
  manager: ['core', 'resources', 'client', 'cache', 'controller', 'collections', 'statedb'],
  apiserver: ['core', 'resources'],
  testing: ['core', 'resources', 'client', 'cache', 'controller', 'collections', 'statedb', 'manager', 'apiserver'],
};

/** The package's entry points (package.json `exports`): all that examples may import. */
const ENTRY_POINTS = new Set([
  'index.ts',
  'apiserver/index.ts',
  'collections/index.ts',
  'statedb/index.ts',
  'testing/index.ts',
]);

function moduleOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length === 1 ? '(root)' : parts[0];
}

/** The files of `src/` that `file` imports, with the specifier that names each. */
function importsIntoSrc(file: string): Array<{ spec: string; target: string }> {
  return specifiers(readFileSync(file, 'utf8'))
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => ({ spec, target: resolve(dirname(file), spec).replace(/\.js$/, '.ts') }))
    .filter(({ target }) => !relative(SRC, target).startsWith('..'));
}

export function doorViolations(): string[] {
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = moduleOf(file);
    for (const { spec, target } of importsIntoSrc(file)) {
      const to = moduleOf(target);
      if (to === from || to === '(root)') continue;
      const inside = relative(join(SRC, to), target);
      const allowed = from === '(root)' ? inside === 'index.ts' : DOORS.has(inside);
      if (!allowed) violations.push(`${relative(SRC, file)} imports ${spec}`);
    }
  }
  return violations;
}

test('no module imports another module past its door (index.ts, or internal.ts for siblings)', () => {
  const violations = doorViolations();
  assert.deepEqual(violations, [], `${violations.length} imports reach past a door:\n${violations.join('\n')}`);
});

test('modules import only the layers below them (apiserver: core and resources)', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = moduleOf(file);
    const allowed = LAYERS[from];
    if (allowed === undefined) continue; // the root and cli
    for (const { spec, target } of importsIntoSrc(file)) {
      const to = moduleOf(target);
      if (to !== from && !allowed.includes(to))
        violations.push(`${relative(SRC, file)} (${from}) imports ${spec} (${to})`);
    }
  }
  assert.deepEqual(violations, [], `${violations.length} imports go against the layers:\n${violations.join('\n')}`);
});

test('every module of src/ has its place in the layers', () => {
  const modules = new Set(sourceFiles(SRC).map(moduleOf));
  const unplaced = [...modules].filter((m) => m !== '(root)' && m !== 'cli' && LAYERS[m] === undefined);
  assert.deepEqual(unplaced, [], 'add each to LAYERS with the modules it may import');
});

test('examples use only the package entry points; benchmarks only module doors', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(resolve('examples'))) {
    for (const { spec, target } of importsIntoSrc(file)) {
      if (!ENTRY_POINTS.has(relative(SRC, target).split(sep).join('/')))
        violations.push(`${relative('.', file)}: ${spec}`);
    }
  }
  for (const file of sourceFiles(resolve('bench'))) {
    for (const { spec, target } of importsIntoSrc(file)) {
      const parts = relative(SRC, target).split(sep);
      if (!(parts.length === 1 ? parts[0] === 'index.ts' : parts.length === 2 && DOORS.has(parts[1]!))) {
        violations.push(`${relative('.', file)}: ${spec}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('the door check sees every form of import, and nothing in comments or strings', () => {
  const text = [
    "import '../a/side-effect.js';",
    "import type { B } from '../b/types.js';",
    "export * as c from '../c/star.js';",
    "/* a note */import { d } from '../d/after-comment.js';",
    'const e = await import(`../e/template.js`);',
    "type F = typeof import('../f/type-query.js');",
    "export { g } from '../g/re-export.js';",
    "// import { h } from '../h/commented-out.js';",
    'const i = "import { i } from \'../i/in-a-string.js\'";',
  ].join('\n');
  assert.deepEqual(specifiers(text), [
    '../a/side-effect.js',
    '../b/types.js',
    '../c/star.js',
    '../d/after-comment.js',
    '../e/template.js',
    '../f/type-query.js',
    '../g/re-export.js',
  ]);
});
