/**
 * Importing the user's module for commands that read one (`kloop crd MODULE`): a path or `file:`
 * URL to JavaScript, or to TypeScript. kloop runs compiled JavaScript and ships no TypeScript
 * loader; for a TypeScript module it registers the tsx of the user's own project (found from the
 * module's folder up, as `npx tsx` would find it), else leaves it to Node's type stripping (22.18
 * and later), and says which of the two is missing when neither can load it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TYPESCRIPT = /\.[cm]?ts$/;

/** The `file:` URL of `module` (a path relative to the working directory, absolute, or a URL). */
export function moduleUrl(module: string): string {
  if (module.startsWith('file:')) return module;
  return pathToFileURL(isAbsolute(module) ? module : resolve(module)).href;
}

let registered: Promise<boolean> | undefined;

/**
 * Registers the tsx found from `fromDir` up, once per process; resolves true when tsx now loads
 * TypeScript. Not needed (false) when kloop itself runs from source: a loader is active already.
 */
function registerProjectTsx(fromDir: string): Promise<boolean> {
  if (import.meta.url.endsWith('.ts')) return Promise.resolve(false);
  registered ??= (async () => {
    let packageJson: string;
    try {
      packageJson = createRequire(join(fromDir, 'noop.js')).resolve('tsx/package.json');
    } catch {
      return false;
    }
    // tsx's own exports map names its ESM API module (`tsx/esm/api`, import condition).
    const manifest = JSON.parse(readFileSync(packageJson, 'utf8')) as {
      exports?: Record<string, { import?: { default?: string } | string }>;
    };
    const entry = manifest.exports?.['./esm/api']?.import;
    const file = typeof entry === 'string' ? entry : entry?.default;
    if (file === undefined) return false;
    const api = pathToFileURL(join(dirname(packageJson), file)).href;
    const { register } = (await import(api)) as { register: () => unknown };
    register();
    return true;
  })();
  return registered;
}

/**
 * Imports `module` and returns its namespace. Errors name the module and, for a TypeScript module
 * Node cannot load, the fix (tsx in the project, or a Node with type stripping).
 */
export async function importUserModule(module: string): Promise<Record<string, unknown>> {
  const url = moduleUrl(module);
  const typescript = TYPESCRIPT.test(fileURLToPath(url));
  const withTsx = typescript && (await registerProjectTsx(dirname(fileURLToPath(url))));
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typescript && !withTsx && code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new Error(
        `cannot import ${module}: Node runs TypeScript only with type stripping (Node 22.18+) or a loader; add tsx to the project (npm install --save-dev tsx) or import the compiled JavaScript`,
        { cause: err },
      );
    }
    if (code === 'ERR_MODULE_NOT_FOUND' && (err as Error).message.includes(fileURLToPath(url))) {
      throw new Error(`cannot import ${module}: no such module`, { cause: err });
    }
    throw new Error(`cannot import ${module}: ${(err as Error).message}`, { cause: err });
  }
}
