/**
 * `kloop crd MODULE [--out DIR]`: the CustomResourceDefinitions of every resource a module
 * exports (made by `defineResource`, recognised by their `Symbol.for('kloop.resource')` brand, so
 * a module built against another copy of kloop counts too), as YAML on stdout (documents
 * separated by `---`) or one file per CRD in DIR. The output applies with `kubectl apply -f`.
 *
 * The module is imported, so it must only define (no side effects when imported). This command
 * itself needs no TypeScript loader: a TypeScript module needs Node with type stripping or a
 * loader such as tsx (`node --import tsx`), which the `kloop` bin of this package registers.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import { type CustomResourceDefinitionObject, isResource, type Resource } from '../resources/index.js';
import { UsageError } from './usage.js';

/** Help text of `kloop crd`. */
export const CRD_USAGE = `Usage: kloop crd MODULE [--out DIR]

Prints the CustomResourceDefinition YAML of every resource MODULE exports (resources made by
defineResource), separated by ---, ready for kubectl apply -f -.
  --out DIR   write one file per CRD instead (DIR/<plural>.<group>.yaml), and print their paths

MODULE is a path (or file: URL) to a JavaScript module, or a TypeScript one when Node runs with
type stripping or a loader (node --import tsx). Importing it must have no side effects.`;

/** Options of `kloop crd`, parsed. */
export interface CrdCommandOptions {
  module: string;
  out?: string;
}

/** Parses the arguments after `crd`; throws {@link UsageError} for bad ones. */
export function parseCrdArgs(args: readonly string[]): CrdCommandOptions {
  let parsed: { values: { out?: string }; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: { out: { type: 'string' } }, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${CRD_USAGE}`);
  }
  const [module, ...rest] = parsed.positionals;
  if (module === undefined) throw new UsageError(`a MODULE is required\n\n${CRD_USAGE}`);
  if (rest.length > 0) throw new UsageError(`one MODULE only, got ${parsed.positionals.length}\n\n${CRD_USAGE}`);
  if (parsed.values.out === '') throw new UsageError('--out needs a directory');
  return parsed.values.out === undefined ? { module } : { module, out: parsed.values.out };
}

/**
 * The resources a module exports, in the order of its export names, each once (a resource
 * exported under two names, or one of its versions exported beside it, gives one CRD).
 */
export function exportedResources(namespace: Record<string, unknown>): Resource[] {
  const seen = new Set<string>();
  const out: Resource[] = [];
  // A module may list them in an array too (`export const resources = [A, B]`).
  const values = Object.values(namespace).flatMap((v) => (Array.isArray(v) ? v : [v]));
  for (const value of values) {
    // Every version carries the brand; the resource itself (the storage version) makes the CRD.
    if (!isResource(value) || typeof value.crd !== 'function') continue;
    const id = `${value.plural}.${value.group}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(value);
  }
  return out;
}

/** One CRD as a YAML document. */
export function crdYaml(crd: CustomResourceDefinitionObject): string {
  return yaml.dump(crd, { noRefs: true, lineWidth: -1, quotingType: '"' });
}

/** The `file:` URL of a module path (or the URL itself). */
export function moduleUrl(module: string): string {
  if (module.startsWith('file:')) return module;
  return pathToFileURL(isAbsolute(module) ? module : resolve(module)).href;
}

/** Imports a user's module, with errors that say what to do (a TypeScript file without a loader). */
export async function importModule(module: string): Promise<Record<string, unknown>> {
  try {
    return (await import(moduleUrl(module))) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?ts$/.test(module)) {
      throw new Error(
        `cannot import ${module}: this Node runs TypeScript only with type stripping (Node 22.18+) or a loader (node --import tsx)`,
        { cause: err },
      );
    }
    if (code === 'ERR_MODULE_NOT_FOUND' && (err as Error).message.includes(moduleUrl(module).replace('file://', ''))) {
      throw new Error(`cannot import ${module}: no such module`, { cause: err });
    }
    throw new Error(`cannot import ${module}: ${(err as Error).message}`, { cause: err });
  }
}

/** Runs `kloop crd`; resolves with the exit code. */
export async function crdCommand(
  args: readonly string[],
  io: { out: (text: string) => void } = { out: (t) => process.stdout.write(t) },
): Promise<number> {
  const options = parseCrdArgs(args);
  const resources = exportedResources(await importModule(options.module));
  if (resources.length === 0) {
    throw new Error(`${options.module} exports no resource made by defineResource`);
  }
  const crds = resources.map((r) => r.crd());
  if (options.out === undefined) {
    io.out(crds.map(crdYaml).join('---\n'));
    return 0;
  }
  await mkdir(options.out, { recursive: true });
  for (const crd of crds) {
    const path = join(options.out, `${crd.metadata.name}.yaml`);
    await writeFile(path, crdYaml(crd));
    io.out(`${path}\n`);
  }
  return 0;
}
