/**
 * Modules are entered only by their doors. A module is a top-level folder of `src/`; its door is
 * its `index.ts`, plus one `internal.ts` for what sibling modules need and users must not see.
 * The package root (`src/index.ts`) may re-export public doors only. Go gets this from
 * `internal/` packages; here a test keeps it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';

const SRC = resolve('src');
const DOORS = new Set(['index.ts', 'internal.ts']);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** Every module specifier in a file: static imports and re-exports, dynamic `import()`. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:^|[\s;}])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const match of text.matchAll(pattern)) found.push(match[1] ?? match[2]);
  return found;
}

function moduleOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length === 1 ? '(root)' : parts[0];
}

export function doorViolations(): string[] {
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = moduleOf(file);
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
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

test('the door check sees imports past a door', () => {
  assert.deepEqual(
    specifiers(`import { a } from '../core/keys.js';\nexport * from "./x.js";\nawait import('../y.js');`),
    ['../core/keys.js', './x.js', '../y.js'],
  );
});
