/** The files of a folder, for the tests that read the tree itself (architecture, error codes, docs). */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The files under `dir` (recursively) that `keep` accepts, in directory order. */
export function filesUnder(dir: string, keep: (path: string) => boolean, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(path, keep, out);
    else if (keep(path)) out.push(path);
  }
  return out;
}

/** The `.ts` files under `dir`, test files left out. */
export function sourceFiles(dir: string): string[] {
  return filesUnder(dir, (path) => path.endsWith('.ts') && !path.endsWith('.test.ts'));
}
