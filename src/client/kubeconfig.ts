/**
 * Kubeconfig loading the way kubectl does it. Parsing and validation use client-node's own
 * kubeconfig readers (`config_types`), and users that need an authenticator (exec plugins,
 * OIDC and other auth providers) go through client-node's `KubeConfig`, loaded on first use:
 * the full client-node package costs ~35 MB of heap, which a token or certificate user does
 * not need to pay.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  type Cluster,
  type Context,
  newClusters,
  newContexts,
  newUsers,
  type User,
} from '@kubernetes/client-node/dist/config_types.js';
import yaml from 'js-yaml';
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
  /** Where it came from, for error messages. */
  readonly file: string;
  /** The current context's name. */
  readonly context: string;
  /** API server base URL. */
  readonly server: URL;
  /** The context's namespace, `default` when unset. */
  readonly namespace: string;
  /** True when the credentials can change over time (exec plugins, auth providers, token files). */
  readonly dynamicAuth: boolean;
  /** Reads the current TLS material and headers. */
  auth(): Promise<AuthMaterial>;
}

interface Parsed {
  file: string;
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext?: string;
  /** A caller's own KubeConfig: used as is for authentication. */
  kubeConfig?: KubeConfig;
}

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Loads a kubeconfig like kubectl: an explicit path, object or client-node `KubeConfig` first,
 * else `$KUBECONFIG` (files joined by the path delimiter, merged, first wins), else
 * `~/.kube/config`, else the in-cluster service account.
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
  return resolve(parse(source));
}

function parse(source: KubeconfigSource | undefined): Parsed {
  if (isKubeConfig(source)) {
    return {
      file: '<KubeConfig>',
      clusters: source.getClusters(),
      users: source.getUsers(),
      contexts: source.getContexts(),
      currentContext: source.getCurrentContext(),
      kubeConfig: source,
    };
  }
  if (typeof source === 'string') return fromDocs([readDoc(source)]);
  if (source !== undefined) return fromDocs([{ file: '<object>', doc: source as Record<string, unknown> }]);
  if (process.env.KUBECONFIG) {
    const files = process.env.KUBECONFIG.split(delimiter).filter((f) => f.length > 0);
    const docs = files.filter((f) => existsSync(f)).map(readDoc);
    if (docs.length === 0) throw new KubeconfigError(files.join(delimiter), 'file', 'no such file (from $KUBECONFIG)');
    return fromDocs(docs);
  }
  const home = join(homedir(), '.kube', 'config');
  if (existsSync(home)) return fromDocs([readDoc(home)]);
  if (process.env.KUBERNETES_SERVICE_HOST && existsSync(`${SA}/token`)) return inCluster();
  throw new KubeconfigError(
    '~/.kube/config',
    'file',
    'no kubeconfig found: set $KUBECONFIG, create ~/.kube/config, or run in a cluster',
  );
}

function isKubeConfig(source: KubeconfigSource | undefined): source is KubeConfig {
  const kc = source as Partial<KubeConfig> | undefined;
  return typeof kc?.getCurrentContext === 'function' && typeof kc.getClusters === 'function';
}

function readDoc(file: string): { file: string; doc: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KubeconfigError(file, 'file', 'cannot be read', { cause: err });
  }
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new KubeconfigError(file, 'yaml', `cannot be parsed: ${(err as Error).message.split('\n')[0]}`, {
      cause: err,
    });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new KubeconfigError(file, 'yaml', 'is not a kubeconfig mapping');
  return { file, doc: doc as Record<string, unknown> };
}

/** Merges documents as kubectl does: the first to define a name wins, and its current-context. */
function fromDocs(docs: Array<{ file: string; doc: Record<string, unknown> }>): Parsed {
  const out: Parsed = { file: docs.map((d) => d.file).join(delimiter), clusters: [], users: [], contexts: [] };
  for (const { file, doc } of docs) {
    let clusters: Cluster[];
    let users: User[];
    let contexts: Context[];
    const base = file.startsWith('<') ? undefined : dirname(file);
    const abs = (p: string | undefined) => (p && base && !isAbsolute(p) ? join(base, p) : p);
    const { users: userDocs, tokenFiles } = takeTokenFiles(doc.users);
    try {
      clusters = newClusters(doc.clusters);
      users = newUsers(userDocs);
      contexts = newContexts(doc.contexts);
    } catch (err) {
      // client-node names the field: `clusters[0].cluster.server is missing`.
      const message = (err as Error).message;
      const m = /^((?:clusters|users|contexts)\[\d+\][\w.-]*) is missing/.exec(message);
      if (m) throw new KubeconfigError(file, m[1], 'is missing', { cause: err });
      throw new KubeconfigError(file, 'yaml', message, { cause: err });
    }
    for (const c of clusters)
      if (!out.clusters.some((x) => x.name === c.name)) out.clusters.push({ ...c, caFile: abs(c.caFile) });
    for (const u of users) {
      if (out.users.some((x) => x.name === u.name)) continue;
      const tokenFile = tokenFiles.get(u.name);
      const authProvider = tokenFile ? { name: 'tokenFile', config: { tokenFile: abs(tokenFile) } } : u.authProvider;
      out.users.push({ ...u, authProvider, certFile: abs(u.certFile), keyFile: abs(u.keyFile) });
    }
    for (const c of contexts) if (!out.contexts.some((x) => x.name === c.name)) out.contexts.push(c);
    if (out.currentContext === undefined && typeof doc['current-context'] === 'string' && doc['current-context']) {
      out.currentContext = doc['current-context'];
    }
  }
  return out;
}

/**
 * Takes `token-file` out of user entries before client-node sees them: it would read the file
 * once, relative to the process's cwd, untrimmed (a trailing newline makes an invalid header).
 * kubectl reads it relative to the kubeconfig and again as it rotates; the `tokenFile` provider
 * (shared with in-cluster config) does that.
 */
function takeTokenFiles(users: unknown): { users: unknown; tokenFiles: Map<string, string> } {
  const tokenFiles = new Map<string, string>();
  if (!Array.isArray(users)) return { users, tokenFiles };
  const out = users.map((entry: unknown) => {
    const e = entry as { name?: unknown; user?: Record<string, unknown> } | null;
    const tokenFile = e?.user?.['token-file'];
    if (typeof tokenFile !== 'string' || !tokenFile || e?.user?.token || typeof e?.name !== 'string') return entry;
    tokenFiles.set(e.name, tokenFile);
    const { 'token-file': _dropped, ...user } = e.user as Record<string, unknown>;
    return { ...e, user };
  });
  return { users: out, tokenFiles };
}

function inCluster(): Parsed {
  const host = process.env.KUBERNETES_SERVICE_HOST as string;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  const h = host.includes(':') ? `[${host}]` : host;
  const nsFile = `${SA}/namespace`;
  const namespace = existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() : undefined;
  return {
    file: '<in-cluster>',
    clusters: [{ name: 'in-cluster', server: `https://${h}:${port}`, caFile: `${SA}/ca.crt`, skipTLSVerify: false }],
    users: [{ name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile: `${SA}/token` } } }],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', namespace }],
    currentContext: 'in-cluster',
  };
}

function resolve(p: Parsed): ResolvedKubeconfig {
  const { file } = p;
  const current = p.currentContext;
  if (!current) throw new KubeconfigError(file, 'current-context', 'is not set');
  const ctx = p.contexts.find((c) => c.name === current);
  if (!ctx) throw new KubeconfigError(file, 'current-context', `names context "${current}", which is not defined`);
  const cluster = p.clusters.find((c) => c.name === ctx.cluster);
  if (!cluster) {
    throw new KubeconfigError(
      file,
      `contexts[${current}].context.cluster`,
      `names cluster "${ctx.cluster}", which is not defined`,
    );
  }
  const user = ctx.user ? p.users.find((u) => u.name === ctx.user) : undefined;
  if (ctx.user && !user) {
    throw new KubeconfigError(
      file,
      `contexts[${current}].context.user`,
      `names user "${ctx.user}", which is not defined`,
    );
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
    throw new KubeconfigError(
      file,
      `clusters[${cluster.name}].cluster.server`,
      `must be http or https: "${cluster.server}"`,
    );
  }
  const tokenFile =
    user?.authProvider?.name === 'tokenFile' ? (user.authProvider.config?.tokenFile as string | undefined) : undefined;
  for (const [field, path] of [
    [`clusters[${cluster.name}].cluster.certificate-authority`, cluster.caFile],
    [`users[${user?.name}].user.client-certificate`, user?.certFile],
    [`users[${user?.name}].user.client-key`, user?.keyFile],
    [`users[${user?.name}].user.token-file`, tokenFile],
  ] as const) {
    if (path && !existsSync(path)) throw new KubeconfigError(file, field, `names a missing file: ${path}`);
  }
  const needsAuthenticator = Boolean(user && (user.exec || (user.authProvider && !tokenFile)));
  const fail = (err: unknown): never => {
    throw new KubeconfigError(
      file,
      `users[${user?.name}].user`,
      `credentials could not be obtained: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  };
  const tls = {
    rejectUnauthorized: !cluster.skipTLSVerify,
    servername: cluster.tlsServerName,
  };
  let kubeConfig: Promise<KubeConfig> | undefined;
  const auth = async (): Promise<AuthMaterial> => {
    if (needsAuthenticator || p.kubeConfig) {
      kubeConfig ??= p.kubeConfig ? Promise.resolve(p.kubeConfig) : loadClientNode(p);
      try {
        return { ...(await viaClientNode(await kubeConfig)), ...tls };
      } catch (err) {
        return fail(err);
      }
    }
    try {
      return { ...staticMaterial(cluster, user, tokenFile), ...tls };
    } catch (err) {
      return fail(err);
    }
  };
  return {
    file,
    context: current,
    server,
    namespace: ctx.namespace ?? 'default',
    dynamicAuth: needsAuthenticator || Boolean(tokenFile),
    auth,
  };
}

/** Token, basic auth, client certificates, impersonation: what client-node's `applyHTTPSOptions` does. */
function staticMaterial(
  cluster: Cluster,
  user: User | undefined,
  tokenFile: string | undefined,
): Omit<AuthMaterial, 'rejectUnauthorized'> {
  const headers: Record<string, string> = {};
  // With both set, the `-data` field wins, as in kubectl (client-go: "certificate-authority-data
  // will override"); client-node reads the file first, which would surprise kubectl users.
  const fileOrData = (f: string | undefined, d: string | undefined) =>
    d ? Buffer.from(d, 'base64') : f ? readFileSync(f) : undefined;
  if (tokenFile) headers.Authorization = `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`;
  else if (user?.token) headers.Authorization = `Bearer ${user.token}`;
  else if (user?.username)
    headers.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
  if (user?.impersonateUser) headers['Impersonate-User'] = user.impersonateUser;
  return {
    headers,
    ca: fileOrData(cluster.caFile, cluster.caData),
    cert: fileOrData(user?.certFile, user?.certData),
    key: fileOrData(user?.keyFile, user?.keyData),
  };
}

async function loadClientNode(p: Parsed): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: p.clusters, users: p.users, contexts: p.contexts, currentContext: p.currentContext });
  return kc;
}

interface ClientNodeOptions {
  headers?: Record<string, string | number | string[] | undefined>;
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer | Array<string | Buffer>;
  key?: string | Buffer | Array<string | Buffer>;
  auth?: string;
}

/**
 * Runs client-node's authenticators. Its public `applyToHTTPSOptions` builds a new Agent on
 * every call and refuses plain `http://` servers; its internal `applyOptions` (1.x) fills the
 * same TLS material and headers without that, so it is preferred when present.
 */
async function viaClientNode(kc: KubeConfig): Promise<Omit<AuthMaterial, 'rejectUnauthorized'>> {
  const opts: ClientNodeOptions = {};
  const internal = kc as unknown as { applyOptions?: (o: ClientNodeOptions) => Promise<void> };
  if (typeof internal.applyOptions === 'function') await internal.applyOptions.call(kc, opts);
  else await kc.applyToHTTPSOptions(opts);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  const user = kc.getCurrentUser();
  if (user?.username && !headers.Authorization) {
    headers.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
  }
  return { headers, ca: opts.ca, cert: opts.cert, key: opts.key };
}
