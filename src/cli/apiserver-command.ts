/**
 * `kloop apiserver`: runs the emulator in the foreground until SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import { startApiServer } from '../apiserver/index.js';
import { UsageError } from './usage.js';

/** Options of `kloop apiserver`, parsed. */
export interface ApiserverCommandOptions {
  port: number;
  host: string;
  kubeconfig?: string;
  historyLimit?: number;
  /** Run the built-in controllers (default true). */
  controllers: boolean;
  /** HTTPS with authentication and RBAC. */
  secure?: boolean;
}

/** Help text of `kloop apiserver`. */
export const APISERVER_USAGE = `Usage: kloop apiserver [--port 6443] [--host 127.0.0.1] [--kubeconfig PATH] [--history-limit N] [--secure] [--controllers=false]

Runs the kloop Kubernetes API server emulator until SIGTERM or SIGINT.
  --port               TCP port (0 = any free port; default 6443)
  --host               interface to bind (default 127.0.0.1)
  --kubeconfig         write a kubeconfig pointing at the emulator to PATH
  --history-limit      watch events kept per resource (default 10000)
  --secure             HTTPS with a generated CA, client certificates, tokens and RBAC; the
                       kubeconfig carries the CA and an admin certificate inline
  --controllers=false  run without the built-in controllers (no Nodes, no Pods started,
                       no endpoints, no default ServiceAccounts); on by default`;

/** Parses the arguments after `apiserver`; throws {@link UsageError} for bad ones. */
export function parseApiserverArgs(args: readonly string[]): ApiserverCommandOptions {
  let values: {
    port?: string;
    host?: string;
    kubeconfig?: string;
    'history-limit'?: string;
    controllers?: string;
    secure?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        kubeconfig: { type: 'string' },
        'history-limit': { type: 'string' },
        controllers: { type: 'string' },
        secure: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${APISERVER_USAGE}`);
  }
  const port = values.port === undefined ? 6443 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`invalid --port ${JSON.stringify(values.port)}: must be an integer from 0 to 65535`);
  }
  const controllers = values.controllers ?? 'true';
  if (controllers !== 'true' && controllers !== 'false') {
    throw new UsageError(`invalid --controllers ${JSON.stringify(controllers)}: must be true or false`);
  }
  const options: ApiserverCommandOptions = {
    port,
    host: values.host ?? '127.0.0.1',
    controllers: controllers === 'true',
  };
  if (values.kubeconfig !== undefined) options.kubeconfig = values.kubeconfig;
  if (values['history-limit'] !== undefined) {
    const n = Number(values['history-limit']);
    if (!Number.isInteger(n) || n < 1) throw new UsageError('invalid --history-limit: must be a positive integer');
    options.historyLimit = n;
  }
  if (values.secure === true) options.secure = true;
  return options;
}

/**
 * Runs the emulator; resolves with the exit code once a signal stopped it.
 *
 * @remarks Prints exactly one line on stdout when listening (tests and scripts wait for it);
 * hints go to stderr.
 */
export async function runApiserver(
  args: readonly string[],
  io: { out: (line: string) => void; err: (line: string) => void } = {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  },
  signal?: AbortSignal,
): Promise<number> {
  const options = parseApiserverArgs(args);
  const server = await startApiServer({
    port: options.port,
    host: options.host,
    controllers: options.controllers,
    ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {}),
    ...(options.secure ? { secure: true } : {}),
  });
  if (options.kubeconfig !== undefined) await server.writeKubeconfig(options.kubeconfig);
  io.out(`kloop apiserver listening on ${server.url}`);
  if (options.kubeconfig !== undefined) io.err(`try: kubectl --kubeconfig ${options.kubeconfig} get ns`);
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGTERM', done);
      process.off('SIGINT', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
    signal?.addEventListener('abort', done, { once: true });
  });
  await server.stop();
  return 0;
}
