// Keeps docs/reference/errors.md and the error codes in src/ in step, both ways (as fastify
// does for its codes): every quoted 'KLOOP_...' string in the source must have a row in the
// table, and every row must name a code the source still uses.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

/** KLOOP_ names in src that are not error codes (environment variables). */
const NOT_ERROR_CODES = new Set(['KLOOP_VALIDATE']);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sourceFiles('src')) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['"](KLOOP_[A-Z0-9_]+)['"]/g)) {
      if (!NOT_ERROR_CODES.has(m[1]) && !found.has(m[1])) found.set(m[1], file);
    }
  }
  return found;
}

function codesInDoc(): Set<string> {
  const doc = readFileSync('docs/reference/errors.md', 'utf8');
  return new Set([...doc.matchAll(/^\| `(KLOOP_[A-Z0-9_]+)`/gm)].map((m) => m[1]));
}

describe('error codes', () => {
  const source = codesInSource();
  const documented = codesInDoc();
  it('every code in src/ is documented in docs/reference/errors.md', () => {
    const missing = [...source].filter(([code]) => !documented.has(code)).map(([code, file]) => `${code} (${file})`);
    assert.deepEqual(missing, [], `add a row for each to docs/reference/errors.md`);
  });
  it('every documented code is used in src/', () => {
    const stale = [...documented].filter((code) => !source.has(code));
    assert.deepEqual(stale, [], 'remove these rows from docs/reference/errors.md, or restore the code');
  });
  it('the core codes are present', () => {
    for (const code of ['KLOOP_API_ERROR', 'KLOOP_TERMINAL', 'KLOOP_INVALID_SELECTOR', 'KLOOP_INVALID_PATCH'])
      assert.ok(source.has(code), code);
  });
});
