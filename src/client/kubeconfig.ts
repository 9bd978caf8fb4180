/**
 * Kubeconfig loading the way kubectl and client-go do it, with no Kubernetes client library
 * underneath: find the files (`$KUBECONFIG`, `~/.kube/config`, else in-cluster), merge them,
 * pick the context, and check the cluster and user it names as `clientcmd`'s `ConfirmUsable`
 * does. Loading is synchronous and reads only the kubeconfig itself; the files and plugins it
 * names are read or run when the first request needs them (see `credentials.ts`).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { type InspectOptionsStylized, inspect } from 'node:util';
import { Credentials, checkToken } from './credentials.js';
import { checkExecEntry } from './exec-credential.js';
import { type InClusterOptions, inClusterKubeconfig, inClusterPossible } from './in-cluster.js';
import { invalid, KubeconfigError, type Origin } from './kubeconfig-error.js';
import {
  type ClusterEntry,
  type KubeconfigDocument,
  type MergedKubeconfig,
  mergeKubeconfigs,
  objectDocument,
  readKubeconfigFile,
  textDocument,
  type UserEntry,
} from './kubeconfig-parse.js';
import { checkKeyPair, parseCertificates, parsePrivateKey } from './pem.js';
import { withoutCredentials } from './transport.js';
import type { AuthMaterial, KubeconfigSource } from './types.js';

export { KubeconfigError, type KubeconfigErrorCode } from './kubeconfig-error.js';

/** The cluster connection a kubeconfig resolves to. */
export interface ResolvedKubeconfig {
  /** Where it came from, for error messages: a file, files joined by ` + `, `<object>`, `<in-cluster>`. */
  readonly file: string;
  /** The context's name. */
  readonly context: string;
  /** API server base URL. */
  readonly server: URL;
  /** The context's namespace, `default` when unset. */
  readonly namespace: string;
  /** `proxy-url`: requests tunnel through it (HTTP CONNECT, or SOCKS5). */
  readonly proxy?: URL;
  /** True when the credentials can change while running (token files, exec plugins). */
  readonly dynamicAuth: boolean;
  /**
   * The TLS material and headers for the next request: cheap while nothing expired; reads token
   * files and runs exec plugins on first use and when they are due.
   *
   * @throws KubeconfigError when a file or plugin fails (`KLOOP_CREDENTIALS_UNAVAILABLE`) or
   * yields something unusable (`KLOOP_KUBECONFIG_INVALID`).
   */
  auth(): Promise<AuthMaterial>;
  /** Forgets cached dynamic credentials (after a 401): the next `auth()` reads and runs again. */
  invalidate(): void;
}

/** Options of {@link loadKubeconfig}. */
export interface LoadKubeconfigOptions extends InClusterOptions {
  /** Use this context instead of `current-context` (kubectl `--context`). */
  readonly context?: string;
  /** The home folder holding `.kube/config` (default the user's). */
  readonly homeDir?: string;
  /** Wall-clock ms, for token file refreshes and exec expiries (default `Date.now`). */
  readonly now?: () => number;
  /** Token files are read again after this long, ms (default 10 000), and after a 401. */
  readonly tokenFileRefreshMs?: number;
  /** CA and client certificate files are read again after this long, ms (default 300 000). */
  readonly tlsFileRefreshMs?: number;
}

/**
 * Loads a kubeconfig like kubectl: an explicit path or object first, else `$KUBECONFIG` (files
 * joined by the path delimiter; missing ones skipped; merged, the first to define a cluster,
 * user or context wins, and the first `current-context`), else `~/.kube/config`, else the
 * in-cluster service account.
 *
 * @throws KubeconfigError naming the file and the field when nothing is found or a value is
 * missing, of the wrong type, or refused (bad base64 or PEM, a CA with
 * `insecure-skip-tls-verify`, an unknown context, cluster or user, an auth provider).
 *
 * @example
 * ```ts
 * const kc = loadKubeconfig('/home/me/.kube/config', { context: 'staging' });
 * console.log(kc.server.href, kc.namespace);
 * ```
 */
export function loadKubeconfig(source?: KubeconfigSource, options: LoadKubeconfigOptions = {}): ResolvedKubeconfig {
  return resolveContext(findKubeconfig(source, options), options);
}

/**
 * The in-cluster configuration (`KUBERNETES_SERVICE_HOST`/`_PORT` and the service account
 * folder), whatever kubeconfig files exist.
 *
 * @example
 * ```ts
 * import { KubeClient } from 'kloop';
 *
 * const client = new KubeClient(inClusterConfig());
 * ```
 */
export function inClusterConfig(options: LoadKubeconfigOptions = {}): ResolvedKubeconfig {
  return resolveContext(inClusterKubeconfig(options), options);
}

function findKubeconfig(source: KubeconfigSource | undefined, options: LoadKubeconfigOptions): MergedKubeconfig {
  if (typeof source === 'string') return mergeKubeconfigs([readKubeconfigFile(source)]);
  if (source !== undefined && source !== null) return mergeKubeconfigs([objectSource(source)]);
  const env = options.env ?? process.env;
  const list = env.KUBECONFIG;
  if (list) {
    const files = [...new Set(list.split(delimiter).filter((f) => f.length > 0))];
    // client-go skips files that do not exist; one that exists but cannot be read is an error.
    const docs = files.filter((f) => existsSync(f)).map(readKubeconfigFile);
    if (docs.length === 0) throw new KubeconfigError(list, 'KUBECONFIG', 'names no file that exists');
    return mergeKubeconfigs(docs);
  }
  const home = join(options.homeDir ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return mergeKubeconfigs([readKubeconfigFile(home)]);
  if (inClusterPossible(options)) return inClusterKubeconfig(options);
  throw new KubeconfigError(
    home,
    'file',
    'no kubeconfig found: set $KUBECONFIG, create ~/.kube/config, or run in a cluster',
  );
}

function objectSource(source: object): KubeconfigDocument {
  const exporter = source as { exportConfig?: unknown };
  if (typeof exporter.exportConfig === 'function') {
    // A client-node KubeConfig (or anything alike) exports kubectl's spelling as JSON.
    const text = (exporter.exportConfig as () => unknown).call(source);
    if (typeof text !== 'string') throw new KubeconfigError('<KubeConfig>', 'exportConfig()', 'did not return text');
    return textDocument(text, '<KubeConfig>', process.cwd());
  }
  return objectDocument(source);
}

function resolveContext(config: MergedKubeconfig, options: LoadKubeconfigOptions): ResolvedKubeconfig {
  const contextName = options.context ?? config.currentContext?.name;
  if (!contextName) invalid({ file: config.label, field: 'current-context' }, 'is not set');
  const context = config.contexts.get(contextName);
  if (!context) {
    const at = options.context
      ? { file: config.label, field: 'context (option)' }
      : { file: config.currentContext?.file ?? config.label, field: 'current-context' };
    invalid(at, `names context "${contextName}", which is not defined`);
  }
  const contextAt = (field: string): Origin => ({
    file: context.file,
    field: `contexts[${context.name}].context.${field}`,
  });
  if (!context.cluster) invalid(contextAt('cluster'), 'is missing');
  const cluster = config.clusters.get(context.cluster);
  if (!cluster) invalid(contextAt('cluster'), `names cluster "${context.cluster}", which is not defined`);
  let user: UserEntry | undefined;
  if (context.user) {
    user = config.users.get(context.user);
    if (!user) invalid(contextAt('user'), `names user "${context.user}", which is not defined`);
  }
  const server = checkCluster(cluster);
  const proxy = checkProxy(cluster);
  if (user) checkUser(user);
  const credentials = new Credentials(cluster, user, {
    now: options.now ?? Date.now,
    tokenFileRefreshMs: options.tokenFileRefreshMs ?? 10_000,
    tlsFileRefreshMs: options.tlsFileRefreshMs ?? 300_000,
    env: options.env ?? process.env,
  });
  const namespace = context.namespace ?? 'default';
  // What is shown of it (`util.inspect`, JSON in a log line): the URLs without their credentials.
  const shown = () => ({
    file: config.label,
    context: context.name,
    server: withoutCredentials(server),
    namespace,
    ...(proxy ? { proxy: withoutCredentials(proxy) } : {}),
    dynamicAuth: credentials.dynamic,
  });
  return {
    file: config.label,
    context: context.name,
    server,
    namespace,
    proxy,
    dynamicAuth: credentials.dynamic,
    auth: () => credentials.get(),
    invalidate: () => credentials.invalidate(),
    toJSON: shown,
    [inspect.custom]: (_depth: number, options: InspectOptionsStylized) =>
      `ResolvedKubeconfig ${inspect(shown(), options)}`,
  } as ResolvedKubeconfig;
}

/** `clusters[x].cluster`: a usable server and TLS settings, as `validateClusterInfo` checks them. */
function checkCluster(cluster: ClusterEntry): URL {
  const at = (field: string): Origin => ({ file: cluster.file, field: `clusters[${cluster.name}].cluster.${field}` });
  if (!cluster.server) invalid(at('server'), `is missing: no server found for cluster "${cluster.name}"`);
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch {
    return invalid(at('server'), `is not a URL: "${withoutUserinfo(cluster.server)}"`);
  }
  if (server.protocol !== 'http:' && server.protocol !== 'https:')
    invalid(at('server'), `must be http or https: "${withoutUserinfo(cluster.server)}"`);
  const hasCa = Boolean(cluster.certificateAuthority || cluster.certificateAuthorityData);
  if (cluster.certificateAuthority && cluster.certificateAuthorityData) {
    invalid(
      at('certificate-authority-data'),
      `certificate-authority-data and certificate-authority are both specified for ${cluster.name}. certificate-authority-data will override.`,
    );
  }
  if (cluster.insecureSkipTlsVerify && hasCa) {
    // client-go transport: the same refusal, whichever of the two carries the CA.
    invalid(
      at('insecure-skip-tls-verify'),
      'specifying a root certificates file with the insecure flag is not allowed',
    );
  }
  if (cluster.certificateAuthorityData)
    parseCertificates(cluster.certificateAuthorityData, at('certificate-authority-data'));
  if (cluster.certificateAuthority && !existsSync(cluster.certificateAuthority))
    invalid(at('certificate-authority'), `names a missing file: ${cluster.certificateAuthority}`);
  return server;
}

function checkProxy(cluster: ClusterEntry): URL | undefined {
  if (!cluster.proxyUrl) return undefined;
  const at = { file: cluster.file, field: `clusters[${cluster.name}].cluster.proxy-url` };
  let proxy: URL;
  try {
    proxy = new URL(cluster.proxyUrl);
  } catch {
    return invalid(at, `is not a URL: "${withoutUserinfo(cluster.proxyUrl)}"`);
  }
  if (!['http:', 'https:', 'socks5:'].includes(proxy.protocol))
    invalid(at, `scheme "${proxy.protocol.replace(/:$/, '')}" is not supported: use http, https or socks5`);
  return proxy;
}

/** `users[x].user`: one authentication method, complete pairs, parsable data (`validateAuthInfo`). */
function checkUser(user: UserEntry): void {
  const at = (field: string): Origin => ({ file: user.file, field: `users[${user.name}].user.${field}` });
  if (user.authProvider) {
    if (user.exec)
      invalid(
        at('auth-provider'),
        `authProvider cannot be provided in combination with an exec plugin for ${user.name}`,
      );
    invalid(
      at('auth-provider'),
      `auth provider "${user.authProvider}" is not supported by kloop (kubectl dropped the built-in ones in 1.26); use an exec credential plugin such as kubelogin or gke-gcloud-auth-plugin`,
    );
  }
  if (user.exec) checkExecEntry(user.exec, at('exec'), user.name);
  const methods: string[] = [];
  if (user.token) methods.push('token');
  if (user.username || user.password) methods.push('basicAuth');
  if (methods.length > 1)
    invalid(
      at(methods[0]),
      `more than one authentication method found for ${user.name}; found [${methods.join(' ')}], only one is allowed`,
    );
  if (user.token) checkToken(user.token, at('token'));
  // Impersonation values travel as headers too: a line break would fail every request with
  // Node's raw ERR_INVALID_CHAR (or, in a lax client, split the header).
  if (user.impersonate) checkToken(user.impersonate, at('as'));
  if (user.impersonateUid) checkToken(user.impersonateUid, at('as-uid'));
  for (const [i, group] of user.impersonateGroups.entries()) checkToken(group, at(`as-groups[${i}]`));
  for (const [key, values] of Object.entries(user.impersonateExtra)) {
    for (const [i, value] of values.entries()) checkToken(value, at(`as-user-extra.${key}[${i}]`));
  }
  for (const [field, file, data] of [
    ['client-certificate', user.clientCertificate, user.clientCertificateData],
    ['client-key', user.clientKey, user.clientKeyData],
  ] as const) {
    if (file && data)
      invalid(at(`${field}-data`), `${field}-data and ${field} are both specified for ${user.name}; use one`);
    if (file && !existsSync(file)) invalid(at(field), `names a missing file: ${file}`);
  }
  const hasCert = Boolean(user.clientCertificate || user.clientCertificateData);
  const hasKey = Boolean(user.clientKey || user.clientKeyData);
  if (hasCert && !hasKey)
    invalid(
      at('client-key'),
      `client-key-data or client-key must be specified for ${user.name} to use the clientCert authentication method`,
    );
  if (hasKey && !hasCert)
    invalid(
      at('client-certificate'),
      `client-certificate-data or client-certificate must be specified for ${user.name} to use the clientCert authentication method`,
    );
  if (user.clientCertificateData) {
    const chain = parseCertificates(user.clientCertificateData, at('client-certificate-data'));
    if (user.clientKeyData)
      checkKeyPair(chain, parsePrivateKey(user.clientKeyData, at('client-key-data')), at('client-key-data'));
  } else if (user.clientKeyData) parsePrivateKey(user.clientKeyData, at('client-key-data'));
  if (user.tokenFile && !user.token && !existsSync(user.tokenFile))
    invalid(at('tokenFile'), `names a missing file: ${user.tokenFile}`);
}

/** A URL for a message: without `user:password@`. */
function withoutUserinfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}
