/**
 * Kubeconfig loading the way kubectl does it, through `@kubernetes/client-node`'s `KubeConfig`,
 * so exec plugins, OIDC, tokens, token files and client certificates keep working; kloop only
 * turns its output into one TLS configuration and a header source for its own transport.
 */
import { accessSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KloopError } from '../core/index.js';
import type { AuthMaterial, KubeconfigSource } from './types.js';

/**
 * A kubeconfig that cannot be used: unreadable, not YAML, or missing a field. `file` names where
 * it came from (`<object>` for an in-memory one) and `field` the path inside it.
 *
 * @remarks Not retryable: the configuration has to be fixed.
 */
export class KubeconfigError extends KloopError {
  /** The file (or `<object>`, `<in-cluster>`) the configuration came from. */
  readonly file: string;
  /** The field at fault, kubeconfig spelling: `clusters[0].cluster.server`, `current-context`. */
  readonly field: string;

  constructor(file: string, field: string, message: string, options?: { cause?: unknown }) {
    super('KLOOP_KUBECONFIG_INVALID', `${file}: ${field}: ${message}`, options);
    this.name = 'KubeconfigError';
    this.file = file;
    this.field = field;
  }
}

/** The cluster connection a kubeconfig resolves to. */
export interface ResolvedKubeconfig {
  /** The client-node object, for callers that need more (auth providers, contexts). */
  readonly kubeConfig: KubeConfig;
  /** Where it came from, for error messages. */
  readonly file: string;
  /** API server base URL, without a trailing slash. */
  readonly server: URL;
  /** The context's namespace, `default` when unset. */
  readonly namespace: string;
  /** True when the user's credentials can change over time (exec plugins, auth providers). */
  readonly dynamicAuth: boolean;
  /** Reads the current TLS material and headers (cheap for static users). */
  auth(): Promise<AuthMaterial>;
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Loads a kubeconfig like kubectl: an explicit path or object first, else `$KUBECONFIG` (files
 * joined by the path delimiter, merged, first wins), else `~/.kube/config`, else the in-cluster
 * service account.
 *
 * @throws KubeconfigError when nothing is found or a field is missing or invalid.
 *
 * @example
 * ```ts
 * const kc = loadKubeconfig('/home/me/.kube/config');
 * console.log(kc.server.href, kc.namespace);
 * ```
 */
export function loadKubeconfig(source?: KubeconfigSource): ResolvedKubeconfig {
  const kc = new KubeConfig();
  let file: string;
  if (source instanceof KubeConfig) {
    file = '<KubeConfig>';
    copyInto(kc, source);
  } else if (typeof source === 'string') {
    file = source;
    loadFile(kc, source);
  } else if (source !== undefined) {
    file = '<object>';
    try {
      kc.loadFromString(JSON.stringify(source));
    } catch (err) {
      throw fromClientNodeError(file, err);
    }
  } else if (process.env.KUBECONFIG) {
    const files = process.env.KUBECONFIG.split(delimiter).filter((f) => f.length > 0);
    file = files.join(delimiter);
    for (const f of files) {
      if (!existsSync(f)) throw new KubeconfigError(f, 'file', 'no such file (from $KUBECONFIG)');
    }
    try {
      kc.loadFromDefault();
    } catch (err) {
      throw fromClientNodeError(file, err);
    }
  } else if (existsSync(join(homedir(), '.kube', 'config'))) {
    file = join(homedir(), '.kube', 'config');
    loadFile(kc, file);
  } else if (process.env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) {
    file = '<in-cluster>';
    kc.loadFromCluster();
  } else {
    throw new KubeconfigError(
      '~/.kube/config',
      'file',
      'no kubeconfig found: set $KUBECONFIG, create ~/.kube/config, or run in a cluster',
    );
  }
  return resolve(kc, file);
}

function copyInto(target: KubeConfig, source: KubeConfig): void {
  target.loadFromOptions({
    clusters: source.getClusters(),
    contexts: source.getContexts(),
    users: source.getUsers(),
    currentContext: source.getCurrentContext(),
  });
}

function loadFile(kc: KubeConfig, file: string): void {
  try {
    accessSync(file);
  } catch (err) {
    throw new KubeconfigError(file, 'file', 'cannot be read', { cause: err });
  }
  try {
    kc.loadFromFile(file);
  } catch (err) {
    throw fromClientNodeError(file, err);
  }
}

/** client-node reports `clusters[0].cluster.server is missing`; keep its field path. */
function fromClientNodeError(file: string, err: unknown): KubeconfigError {
  const message = err instanceof Error ? err.message : String(err);
  const m = /^((?:clusters|users|contexts)\[\d+\][\w.-]*) is missing/.exec(message);
  if (m) return new KubeconfigError(file, m[1], 'is missing', { cause: err });
  return new KubeconfigError(file, 'yaml', `cannot be parsed: ${message}`, { cause: err });
}

function resolve(kc: KubeConfig, file: string): ResolvedKubeconfig {
  const current = kc.getCurrentContext();
  if (!current) throw new KubeconfigError(file, 'current-context', 'is not set');
  const ctx = kc.getContextObject(current);
  if (!ctx) throw new KubeconfigError(file, 'current-context', `names context "${current}", which is not defined`);
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster) {
    throw new KubeconfigError(file, `contexts[${current}].context.cluster`, `names cluster "${ctx.cluster}", which is not defined`);
  }
  const user = ctx.user ? kc.getUser(ctx.user) : null;
  if (ctx.user && !user) {
    throw new KubeconfigError(file, `contexts[${current}].context.user`, `names user "${ctx.user}", which is not defined`);
  }
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch (err) {
    throw new KubeconfigError(file, `clusters[${cluster.name}].cluster.server`, `is not a URL: "${cluster.server}"`, {
      cause: err,
    });
  }
  if (server.protocol !== 'http:' && server.protocol !== 'https:') {
    throw new KubeconfigError(file, `clusters[${cluster.name}].cluster.server`, `must be http or https: "${cluster.server}"`);
  }
  for (const [field, path] of [
    [`clusters[${cluster.name}].cluster.certificate-authority`, cluster.caFile],
    [`users[${user?.name}].user.client-certificate`, user?.certFile],
    [`users[${user?.name}].user.client-key`, user?.keyFile],
  ] as const) {
    if (path && !existsSync(path)) throw new KubeconfigError(file, field, `names a missing file: ${path}`);
  }
  const dynamicAuth = Boolean(user && (user.exec || user.authProvider));
  const basic = user?.username ? `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}` : undefined;
  const auth = async (): Promise<AuthMaterial> => {
    const opts: ClientNodeOptions = {};
    try {
      await applyOptions(kc, opts);
    } catch (err) {
      throw new KubeconfigError(file, `users[${user?.name}].user`, `credentials could not be obtained: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    }
    if (basic && !headers.Authorization) headers.Authorization = basic;
    return {
      headers,
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      // TLS is verified unless the kubeconfig says `insecure-skip-tls-verify: true`.
      rejectUnauthorized: !cluster.skipTLSVerify,
      servername: cluster.tlsServerName,
    };
  };
  return { kubeConfig: kc, file, server, namespace: ctx.namespace ?? 'default', dynamicAuth, auth };
}

interface ClientNodeOptions {
  headers?: Record<string, string | number | string[] | undefined>;
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer | Array<string | Buffer>;
  key?: string | Buffer | Array<string | Buffer>;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/**
 * client-node's public `applyToHTTPSOptions` builds a new Agent on every call and refuses plain
 * `http://` servers (the emulator); its internal `applyOptions` (1.x) fills the same TLS material
 * and headers without that, so it is preferred when present.
 */
async function applyOptions(kc: KubeConfig, opts: ClientNodeOptions): Promise<void> {
  const internal = kc as unknown as { applyOptions?: (o: ClientNodeOptions) => Promise<void> };
  if (typeof internal.applyOptions === 'function') {
    await internal.applyOptions.call(kc, opts);
    return;
  }
  await kc.applyToHTTPSOptions(opts);
}
