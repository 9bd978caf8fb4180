/**
 * In-cluster configuration, as client-go's `rest.InClusterConfig`: the API server from
 * `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT`, the service account's token (read again
 * as kubelet rotates it), its CA and its namespace from the mounted folder. The folder and the
 * environment can be given, so tests lay the files out in a temporary folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeconfigError } from './kubeconfig-error.js';
import type { MergedKubeconfig } from './kubeconfig-parse.js';

/** Where a pod finds its service account. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The label in-cluster errors carry as their file. */
export const IN_CLUSTER = '<in-cluster>';

/** Options of in-cluster loading. */
export interface InClusterOptions {
  /** Environment to read `KUBERNETES_SERVICE_HOST`/`_PORT` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The service account folder (default `/var/run/secrets/kubernetes.io/serviceaccount`). */
  readonly serviceAccountDir?: string;
}

/** True when the environment looks like a pod: the service variables and the token are there. */
export function inClusterPossible(options: InClusterOptions = {}): boolean {
  const env = options.env ?? process.env;
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(join(dir, 'token')));
}

/** The in-cluster configuration as a one-context kubeconfig. */
export function inClusterKubeconfig(options: InClusterOptions = {}): MergedKubeconfig {
  const env = options.env ?? process.env;
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new KubeconfigError(
      IN_CLUSTER,
      'KUBERNETES_SERVICE_HOST',
      'unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined',
    );
  }
  const token = join(dir, 'token');
  const ca = join(dir, 'ca.crt');
  for (const [field, path] of [
    ['token', token],
    ['ca.crt', ca],
  ] as const) {
    if (!existsSync(path)) throw new KubeconfigError(IN_CLUSTER, field, `${path} does not exist`);
  }
  const nsFile = join(dir, 'namespace');
  const namespace = existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() || undefined : undefined;
  const name = 'in-cluster';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    label: IN_CLUSTER,
    clusters: new Map([
      [
        name,
        {
          name,
          file: IN_CLUSTER,
          server: `https://${hostPart}:${port}`,
          insecureSkipTlsVerify: false,
          certificateAuthority: ca,
        },
      ],
    ]),
    users: new Map([[name, { name, file: IN_CLUSTER, tokenFile: token, impersonateGroups: [], impersonateExtra: {} }]]),
    contexts: new Map([[name, { name, file: IN_CLUSTER, cluster: name, user: name, namespace }]]),
    currentContext: { name, file: IN_CLUSTER },
  };
}
