/**
 * `npm run bench [-- NAME [args...]]`: runs one benchmark (`bench/NAME.ts`) or, with no name, all
 * of them one after the other. Each benchmark module exports `run(args: string[])`, compares kloop
 * with its peers in the same run and prints its own table.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchModule {
  run(args: string[]): Promise<unknown>;
}

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -'.ts'.length))
  .filter((name) => !name.includes('.') && !name.startsWith('_') && !name.endsWith('-child'))
  .sort();

async function runOne(name: string, args: string[]): Promise<void> {
  if (!available.includes(name)) {
    console.error(`unknown benchmark "${name}"; available: ${available.join(', ')}`);
    process.exit(2);
  }
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as BenchModule;
  console.log(`\n## ${name}\n`);
  await mod.run(args);
}

const [name, ...rest] = process.argv.slice(2);
if (name && !name.startsWith('-')) {
  await runOne(name, rest);
} else {
  for (const each of available) await runOne(each, process.argv.slice(2));
}
