// Keeps the error codes in step, as fastify does for its codes: the one table in core
// (`KLOOP_ERROR_CODES`, from which the `KloopErrorCode` union is derived), the rows of
// docs/reference/errors.md (both ways), the codes the source uses, and the error classes (each
// code is raised by the class its row names; every class is documented).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KLOOP_ERROR_CODES, KloopError, type KloopErrorCode } from '../../src/core/index.js';
import { sourceFiles } from '../support/files.js';

/** KLOOP_ names in src that are not error codes (environment variables). */
const NOT_ERROR_CODES = new Set(['KLOOP_VALIDATE']);

/** How many codes there are: a new one is a deliberate change (table, docs, this count). */
const CODE_COUNT = 62;

/** The source, without the table itself (listing a code there is not using it). */
const sources = sourceFiles('src')
  .filter((file) => !file.endsWith(join('core', 'error-codes.ts')))
  .map((file) => ({ file, text: readFileSync(file, 'utf8') }));

function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  for (const { file, text } of sources) {
    // A name ending in `_` is a prefix (`'KLOOP_STATEDB_'`), not a code.
    for (const m of text.matchAll(/['"](KLOOP_[A-Z0-9_]*[A-Z0-9])['"]/g)) {
      if (!NOT_ERROR_CODES.has(m[1]) && !found.has(m[1])) found.set(m[1], file);
    }
  }
  return found;
}

/** The table's rows: code -> the error class it names. */
function rowsInDoc(): Map<string, string> {
  const doc = readFileSync('docs/reference/errors.md', 'utf8');
  return new Map([...doc.matchAll(/^\| `(KLOOP_[A-Z0-9_]+)` \| `(\w+)` \|/gm)].map((m) => [m[1], m[2]]));
}

/** Every error class in src: name -> the class it extends and the text of its body. */
function errorClasses(): Map<string, { parent: string; body: string; file: string }> {
  const classes = new Map<string, { parent: string; body: string; file: string }>();
  for (const { file, text } of sources) {
    for (const m of text.matchAll(/^export class (\w+) extends (\w+) \{\n([\s\S]*?)^\}/gm)) {
      classes.set(m[1], { parent: m[2], body: m[3], file });
    }
  }
  // Keep the KloopError family only.
  const family = new Map<string, { parent: string; body: string; file: string }>();
  const inFamily = (name: string): boolean =>
    name === 'KloopError' || (classes.has(name) && inFamily(classes.get(name)!.parent));
  for (const [name, c] of classes) if (name !== 'KloopError' && inFamily(name)) family.set(name, c);
  return family;
}

/** Where a code is raised: `new C('KLOOP_X'` anywhere, or a literal code inside class C's body. */
function raisedBy(): Array<{ code: string; cls: string; file: string }> {
  const out: Array<{ code: string; cls: string; file: string }> = [];
  for (const { file, text } of sources) {
    for (const m of text.matchAll(/new (\w+)\(\s*'(KLOOP_[A-Z0-9_]+)'/g)) out.push({ code: m[2], cls: m[1], file });
  }
  for (const [cls, { body, file }] of errorClasses()) {
    for (const m of body.matchAll(/'(KLOOP_[A-Z0-9_]+)'/g)) out.push({ code: m[1], cls, file });
  }
  return out;
}

describe('error codes', () => {
  const table = new Set<string>(KLOOP_ERROR_CODES);
  const source = codesInSource();
  const rows = rowsInDoc();

  it('the table holds each code once, and the count is pinned', () => {
    assert.equal(table.size, KLOOP_ERROR_CODES.length, 'a code listed twice');
    assert.equal(KLOOP_ERROR_CODES.length, CODE_COUNT, 'update CODE_COUNT with the table and the docs');
  });

  it('every code in the table has a row in docs/reference/errors.md', () => {
    const missing = KLOOP_ERROR_CODES.filter((code) => !rows.has(code));
    assert.deepEqual(missing, [], 'add a row for each to docs/reference/errors.md');
  });

  it('every row of docs/reference/errors.md names a code of the table', () => {
    const stale = [...rows.keys()].filter((code) => !table.has(code));
    assert.deepEqual(stale, [], 'remove these rows, or add the codes to KLOOP_ERROR_CODES');
  });

  it('every code the source uses is in the table, and every code in the table is used', () => {
    const unknown = [...source].filter(([code]) => !table.has(code)).map(([code, file]) => `${code} (${file})`);
    assert.deepEqual(unknown, [], 'add these to KLOOP_ERROR_CODES (the compiler asks for it where they are raised)');
    const unused = KLOOP_ERROR_CODES.filter((code) => !source.has(code));
    assert.deepEqual(unused, [], 'remove these from KLOOP_ERROR_CODES and the docs, or restore them');
  });

  it('each code is raised by the class its row names', () => {
    const wrong = raisedBy()
      .filter(({ code, cls }) => rows.get(code) !== cls)
      .map(({ code, cls, file }) => `${code} raised by ${cls} (${file}), documented as ${rows.get(code)}`);
    assert.deepEqual(wrong, []);
  });

  it('every error class is documented, itself or through the class it extends, and every documented class exists', () => {
    const classes = errorClasses();
    const documented = new Set(rows.values());
    const undocumented = [...classes.keys()].filter((name) => {
      for (let c: string | undefined = name; c !== undefined && c !== 'KloopError'; c = classes.get(c)?.parent) {
        if (documented.has(c)) return false;
      }
      return true;
    });
    assert.deepEqual(undocumented, [], 'give each a row in docs/reference/errors.md');
    const missing = [...documented].filter((name) => name !== 'KloopError' && !classes.has(name));
    assert.deepEqual(missing, [], 'these classes do not exist (or do not extend KloopError)');
  });

  it('a KloopError carries a code of the union', () => {
    const code: KloopErrorCode = 'KLOOP_INVALID_KEY';
    const err = new KloopError(code, 'bad key');
    assert.ok(table.has(err.code));
    // @ts-expect-error a code outside the union does not compile
    assert.ok(new KloopError('KLOOP_NOT_A_CODE', 'x'));
  });
});
