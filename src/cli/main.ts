/**
 * The `kloop` command. Importing this module has no side effects; it runs only as the entry
 * point (`npm start`, `node dist/cli/main.js`) or when `bin/kloop.js` calls {@link main}. Subcommands register in {@link COMMANDS}, so `kloop demo`
 * and `kloop inspect` plug in beside `kloop apiserver`.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { APISERVER_USAGE, runApiserver } from './apiserver-command.js';
import { CRD_USAGE, crdCommand } from './crd-command.js';
import { DEMO_USAGE, demoCommand } from './demo.js';
import { CREATE_USAGE, createCommand, INIT_USAGE, initCommand } from './init/command.js';
import { MANIFESTS_USAGE, manifestsCommand } from './manifests/command.js';
import { USAGE, UsageError } from './usage.js';

/** A subcommand: runs with the arguments after its name and resolves with the exit code. */
export type Command = (args: readonly string[]) => Promise<number>;

/** The subcommands by name, each with its help text. */
export const COMMANDS: Record<string, { run: Command; usage: string }> = {
  apiserver: { run: (args) => runApiserver(args), usage: APISERVER_USAGE },
  crd: { run: (args) => crdCommand(args), usage: CRD_USAGE },
  create: { run: (args) => createCommand(args), usage: CREATE_USAGE },
  demo: { run: (args) => demoCommand(args), usage: DEMO_USAGE },
  init: { run: (args) => initCommand(args), usage: INIT_USAGE },
  manifests: { run: (args) => manifestsCommand(args), usage: MANIFESTS_USAGE },
};

/**
 * Runs the CLI with `argv` (without node and the script); resolves with the exit code:
 * 0 success, 1 failure, 2 usage error.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['apiserver', '--port', '0']);
 * ```
 */
export async function main(
  argv: readonly string[],
  err: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? err : out)(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    err(`kloop: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`kloop ${name}: ${e.message}`);
      return 2;
    }
    err(`kloop ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    const self = realpathSync(fileURLToPath(import.meta.url));
    return realpathSync(entry) === self;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`kloop: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
