/**
 * `kloop init NAME` and `kloop create api KIND` (kubebuilder's `init` and `create api`): a new
 * operator project, and a resource with its controller and test added to one.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { guessPlural } from '../../manager/index.js';
import { UsageError } from '../usage.js';
import { type ApiNames, controllerFile, resourceFile, testFile } from './api-templates.js';
import {
  dockerfile,
  dockerignore,
  gitignore,
  MARKERS,
  mainFile,
  operatorFile,
  type ProjectFacts,
  packageJson,
  readme,
  tsconfig,
} from './project-templates.js';

/** Help text of `kloop init`. */
export const INIT_USAGE = `Usage: kloop init NAME [--kloop SPEC] [--kind KIND] [--group GROUP] [--version VERSION] [--dir DIR]

Creates the operator project NAME in DIR (default ./NAME): a resource (defineResource) and its
controller, main.ts with leader election, a scoped cache and the health and metrics listener,
tests on the emulator, a multi-stage non-root Dockerfile, npm run manifests (the kustomize tree
of kloop manifests) and a README. Then: cd NAME && npm install && npm test.
  --kloop SPEC       the kloop dependency to write (default ^<this kloop's version>; a path
                     to a packed tarball works too)
  --kind KIND        the first resource's kind (default: from NAME, e.g. demo-op -> Demo)
  --group GROUP      API group of the project's resources (default example.com)
  --version VERSION  API version (default v1alpha1)`;

/** Help text of `kloop create api`. */
export const CREATE_USAGE = `Usage: kloop create api KIND [--group GROUP] [--version VERSION] [--dir DIR]

Adds the resource KIND to the project in DIR (default .): src/api/<kind>.ts (defineResource),
src/controllers/<kind>.ts, test/<kind>.test.ts, and registers them in src/operator.ts.`;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const KIND = /^[A-Z][A-Za-z0-9]{0,62}$/;
const GROUP = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
const VERSION = /^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/;

/** This kloop's package.json (two folders above this file, in `src/` and in `dist/`). */
async function ownPackage(): Promise<{ version: string; devDependencies?: Record<string, string> }> {
  return JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'));
}

function check(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new UsageError(`${what} ${JSON.stringify(value)} is not valid`);
  return value;
}

function kindFromName(name: string): string {
  const base = name.replace(/-(op|operator|controller)$/, '');
  const kind = base
    .split('-')
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  return /^[A-Z]/.test(kind) ? kind : `R${kind}`;
}

function apiNames(kind: string, group: string, version: string, operator: string): ApiNames {
  const lower = kind.toLowerCase();
  return { kind, lower, plural: guessPlural(kind), group, version, operator };
}

async function writeNew(path: string, text: string, written: string[]): Promise<void> {
  if (existsSync(path)) throw new Error(`${path} exists already`);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  written.push(path);
}

/** Writes the files of one API into the project at `dir`. */
async function writeApi(dir: string, names: ApiNames, written: string[]): Promise<void> {
  await writeNew(join(dir, 'src', 'api', `${names.lower}.ts`), resourceFile(names), written);
  await writeNew(join(dir, 'src', 'controllers', `${names.lower}.ts`), controllerFile(names), written);
  await writeNew(join(dir, 'test', `${names.lower}.test.ts`), testFile(names), written);
}

/** Runs `kloop init`; resolves with the exit code. */
export async function initCommand(
  args: readonly string[],
  io: { out: (text: string) => void } = { out: (t) => process.stdout.write(t) },
): Promise<number> {
  let parsed: { values: Record<string, string | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        kloop: { type: 'string' },
        kind: { type: 'string' },
        group: { type: 'string' },
        version: { type: 'string' },
        dir: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${INIT_USAGE}`);
  }
  const [name, ...rest] = parsed.positionals;
  if (name === undefined) throw new UsageError(`a NAME is required\n\n${INIT_USAGE}`);
  if (rest.length > 0) throw new UsageError(`one NAME only`);
  check(name, DNS_LABEL, 'NAME (a DNS label: lower case letters, digits and -)');
  const v = parsed.values;
  if (v.kloop === '') throw new UsageError('--kloop needs a value');
  const own = await ownPackage();
  const kloopSpec = v.kloop ?? `^${own.version}`;
  const group = check(v.group ?? 'example.com', GROUP, '--group');
  const version = check(v.version ?? 'v1alpha1', VERSION, '--version');
  const kind = check(v.kind ?? kindFromName(name), KIND, '--kind');
  const dir = resolve(v.dir ?? name);
  if (existsSync(join(dir, 'package.json'))) throw new Error(`${dir} already holds a project (package.json)`);
  const facts: ProjectFacts = {
    name,
    // A tarball or folder path is written absolute, so the project installs from anywhere.
    kloop: /^(\.{0,2}\/|[^:@^~<>=*]+\.tgz$)/.test(kloopSpec) ? `file:${resolve(kloopSpec)}` : kloopSpec,
    typescript: own.devDependencies?.typescript ?? '^5.9.3',
    typesNode: own.devDependencies?.['@types/node'] ?? '^20.19.43',
    group,
    version,
  };
  const names = apiNames(kind, group, version, name);
  const written: string[] = [];
  await writeNew(join(dir, 'package.json'), packageJson(facts), written);
  await writeNew(join(dir, 'tsconfig.json'), tsconfig(), written);
  await writeNew(join(dir, 'Dockerfile'), dockerfile(), written);
  await writeNew(join(dir, '.dockerignore'), dockerignore(), written);
  await writeNew(join(dir, '.gitignore'), gitignore(), written);
  await writeNew(join(dir, 'README.md'), readme(facts), written);
  await writeNew(join(dir, 'src', 'operator.ts'), operatorFile(facts, names), written);
  await writeNew(join(dir, 'src', 'main.ts'), mainFile(), written);
  await writeApi(dir, names, written);
  for (const path of written) io.out(`${path}\n`);
  io.out(`\nNext: cd ${v.dir ?? name} && npm install && npm test\n`);
  return 0;
}

/** Inserts `line` above `marker` in `text`; throws when the marker is gone. */
export function insertAbove(text: string, marker: string, line: string, file: string): string {
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${file}: the marker ${marker} is missing; add the lines by hand`);
  const lineStart = text.lastIndexOf('\n', at) + 1;
  const indent = text.slice(lineStart, at);
  return `${text.slice(0, lineStart)}${indent}${line}\n${text.slice(lineStart)}`;
}

/** Runs `kloop create api`; resolves with the exit code. */
export async function createCommand(
  args: readonly string[],
  io: { out: (text: string) => void } = { out: (t) => process.stdout.write(t) },
): Promise<number> {
  const [what, ...restArgs] = args;
  if (what !== 'api') throw new UsageError(`kloop create knows "api" only\n\n${CREATE_USAGE}`);
  let parsed: { values: Record<string, string | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: restArgs,
      options: { group: { type: 'string' }, version: { type: 'string' }, dir: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${CREATE_USAGE}`);
  }
  const [kind, ...rest] = parsed.positionals;
  if (kind === undefined) throw new UsageError(`a KIND is required\n\n${CREATE_USAGE}`);
  if (rest.length > 0) throw new UsageError('one KIND only');
  check(kind, KIND, 'KIND (UpperCamelCase)');
  const dir = resolve(parsed.values.dir ?? '.');
  const pkgPath = join(dir, 'package.json');
  if (!existsSync(pkgPath)) throw new Error(`${dir} holds no project (no package.json); run kloop init first`);
  const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as {
    name?: string;
    kloop?: { group?: string; version?: string };
  };
  const group = check(parsed.values.group ?? pkg.kloop?.group ?? 'example.com', GROUP, '--group');
  const version = check(parsed.values.version ?? pkg.kloop?.version ?? 'v1alpha1', VERSION, '--version');
  const names = apiNames(kind, group, version, pkg.name ?? 'operator');
  const operatorPath = join(dir, 'src', 'operator.ts');
  let operator = await readFile(operatorPath, 'utf8');
  if (operator.includes(`from './api/${names.lower}.js'`)) throw new Error(`${kind} exists already in ${operatorPath}`);
  operator = insertAbove(operator, MARKERS.imports, `import { ${kind} } from './api/${names.lower}.js';`, operatorPath);
  operator = insertAbove(
    operator,
    MARKERS.imports,
    `import { setup${kind}Controller } from './controllers/${names.lower}.js';`,
    operatorPath,
  );
  operator = insertAbove(operator, MARKERS.resources, `${kind},`, operatorPath);
  operator = insertAbove(operator, MARKERS.controllers, `setup${kind}Controller(mgr);`, operatorPath);
  const written: string[] = [];
  await writeApi(dir, names, written);
  await writeFile(operatorPath, operator);
  for (const path of [...written, operatorPath]) io.out(`${path}\n`);
  return 0;
}
