/**
 * `kloop crd MODULE [--out DIR]`: the CustomResourceDefinitions of every resource a module
 * exports (made by `defineResource`, recognised by their `Symbol.for('kloop.resource')` brand, so
 * a module built against another copy of kloop counts too), as YAML on stdout (documents
 * separated by `---`) or one file per CRD in DIR. The output applies with `kubectl apply -f`.
 *
 * The module is imported, so it must only define (no side effects when imported). A TypeScript
 * module is loaded by the tsx of the user's project, or by Node's type stripping (`./user-module.ts`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import { type CustomResourceDefinitionObject, isResource, type Resource } from '../resources/index.js';
import { UsageError } from './usage.js';
import { importUserModule } from './user-module.js';

/** Help text of `kloop crd`. */
export const CRD_USAGE = `Usage: kloop crd MODULE [--out DIR]

Prints the CustomResourceDefinition YAML of every resource MODULE exports (resources made by
defineResource), separated by ---, ready for kubectl apply -f -.
  --out DIR   write one file per CRD instead (DIR/<plural>.<group>.yaml), and print their paths

MODULE is a path (or file: URL) to a JavaScript module, or a TypeScript one when the project has
tsx (npm install --save-dev tsx) or Node strips types (22.18+). Importing it must have no side
effects.`;

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

/** Runs `kloop crd`; resolves with the exit code. */
export async function crdCommand(
  args: readonly string[],
  io: { out: (text: string) => void } = { out: (t) => process.stdout.write(t) },
): Promise<number> {
  const options = parseCrdArgs(args);
  const resources = exportedResources(await importUserModule(options.module));
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
