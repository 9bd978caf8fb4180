/**
 * Reading kubeconfig files into typed entries, and merging several the way client-go's
 * `ClientConfigLoadingRules.Load` does: each name (cluster, user, context) is taken from the
 * first file that defines it, whole, and `current-context` from the first file that sets it.
 * Relative file paths are resolved against the folder of the file that names them.
 *
 * Every value is type-checked where it is read, so a numeric `server` is an error naming the
 * file and `clusters[c].cluster.server` (kubectl: "cannot unmarshal number into Go struct field
 * Cluster.clusters.cluster.server of type string"), never a TypeError later. Messages about
 * secret fields (tokens, passwords, keys) never carry their values.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import yaml from 'js-yaml';
import { invalid, KubeconfigError, type Origin } from './kubeconfig-error.js';
import { decodeBase64 } from './pem.js';

/** One `clusters[]` entry. File paths are absolute. */
export interface ClusterEntry {
  readonly name: string;
  readonly file: string;
  readonly server?: string;
  readonly tlsServerName?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly certificateAuthority?: string;
  readonly certificateAuthorityData?: Buffer;
  readonly proxyUrl?: string;
  /** `extensions[client.authentication.k8s.io/exec].extension`, handed to exec plugins as `config`. */
  readonly execExtension?: unknown;
}

/** `users[].user.exec`. */
export interface ExecEntry {
  readonly command?: string;
  readonly args: readonly string[];
  readonly env: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly apiVersion?: string;
  readonly installHint?: string;
  readonly provideClusterInfo: boolean;
  readonly interactiveMode?: string;
}

/** One `users[]` entry. File paths are absolute. */
export interface UserEntry {
  readonly name: string;
  readonly file: string;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly username?: string;
  readonly password?: string;
  readonly clientCertificate?: string;
  readonly clientCertificateData?: Buffer;
  readonly clientKey?: string;
  readonly clientKeyData?: Buffer;
  readonly impersonate?: string;
  readonly impersonateUid?: string;
  readonly impersonateGroups: readonly string[];
  readonly impersonateExtra: Readonly<Record<string, readonly string[]>>;
  readonly exec?: ExecEntry;
  /** `auth-provider.name`: kloop does not run auth providers, and says so when one is used. */
  readonly authProvider?: string;
}

/** One `contexts[]` entry. */
export interface ContextEntry {
  readonly name: string;
  readonly file: string;
  readonly cluster?: string;
  readonly user?: string;
  readonly namespace?: string;
}

/** Several kubeconfig documents merged. */
export interface MergedKubeconfig {
  /** The files, joined by the path delimiter, or `<object>`: for messages about the whole. */
  readonly label: string;
  readonly clusters: ReadonlyMap<string, ClusterEntry>;
  readonly users: ReadonlyMap<string, UserEntry>;
  readonly contexts: ReadonlyMap<string, ContextEntry>;
  readonly currentContext?: { readonly name: string; readonly file: string };
}

/** A kubeconfig document before merging: its file (or `<object>`) and the folder its paths are relative to. */
export interface KubeconfigDocument {
  readonly file: string;
  readonly dir: string;
  readonly doc: unknown;
}

/** Reads and parses one kubeconfig file (YAML or JSON). */
export function readKubeconfigFile(file: string): KubeconfigDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KubeconfigError(file, 'file', `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: err,
    });
  }
  return { file, dir: dirname(resolve(file)), doc: parseYaml(text, file) };
}

function parseYaml(text: string, file: string): unknown {
  try {
    // The core schema: no timestamps or binary, as sigs.k8s.io/yaml reads into strings.
    return yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: file });
  } catch (err) {
    // js-yaml's message quotes the offending lines, which may hold a token: keep the reason only.
    const e = err as { reason?: string; mark?: { line: number; column: number } };
    const where = e.mark ? ` (line ${e.mark.line + 1}, column ${e.mark.column + 1})` : '';
    throw new KubeconfigError(file, 'yaml', `cannot be parsed: ${e.reason ?? 'invalid YAML'}${where}`);
  }
}

/** Merges documents, first definition wins (client-go's rules). */
export function mergeKubeconfigs(docs: readonly KubeconfigDocument[]): MergedKubeconfig {
  const clusters = new Map<string, ClusterEntry>();
  const users = new Map<string, UserEntry>();
  const contexts = new Map<string, ContextEntry>();
  let currentContext: MergedKubeconfig['currentContext'];
  for (const { file, dir, doc } of docs) {
    if (doc === null || doc === undefined) continue; // an empty file, as kubectl allows
    const top = new Fields(file, '', asMapping(doc, { file, field: 'yaml' }), dir);
    top.string('apiVersion');
    top.string('kind');
    const own = {
      clusters: entries(top, 'clusters', 'cluster', readCluster),
      users: entries(top, 'users', 'user', readUser),
      contexts: entries(top, 'contexts', 'context', readContext),
    };
    for (const c of own.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of own.users) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of own.contexts) if (!contexts.has(c.name)) contexts.set(c.name, c);
    const current = top.string('current-context');
    if (currentContext === undefined && current) currentContext = { name: current, file };
  }
  return { label: docs.map((d) => d.file).join(' + ') || '<none>', clusters, users, contexts, currentContext };
}

/** Reads `key` (`clusters`, `users`, `contexts`): a list of `{ name, <body> }`, names unique within the file. */
function entries<T>(
  top: Fields,
  key: string,
  body: string,
  read: (name: string, fields: Fields) => T,
): Array<T & { name: string }> {
  const list = top.list(key) ?? [];
  const out: Array<T & { name: string }> = [];
  const seen = new Set<string>();
  list.forEach((item, index) => {
    const at = { file: top.file, field: `${key}[${index}]` };
    const entry = new Fields(top.file, `${key}[${index}]`, asMapping(item, at), top.dir);
    const name = entry.string('name');
    if (!name) invalid({ file: top.file, field: `${key}[${index}].name` }, 'is missing');
    if (seen.has(name)) invalid({ file: top.file, field: `${key}[${index}].name` }, `duplicate name "${name}" in list`);
    seen.add(name);
    const inner =
      entry.mapping(body, `${key}[${name}].${body}`) ?? new Fields(top.file, `${key}[${name}].${body}`, {}, top.dir);
    out.push({ ...read(name, inner), name });
  });
  return out;
}

function readCluster(name: string, f: Fields): ClusterEntry {
  const caData = f.string('certificate-authority-data');
  return {
    name,
    file: f.file,
    server: f.string('server'),
    tlsServerName: f.string('tls-server-name'),
    insecureSkipTlsVerify: f.bool('insecure-skip-tls-verify') ?? false,
    certificateAuthority: f.path('certificate-authority'),
    certificateAuthorityData:
      caData === undefined ? undefined : decodeBase64(caData, f.at('certificate-authority-data')),
    proxyUrl: f.string('proxy-url'),
    execExtension: execExtension(f),
  };
}

function execExtension(f: Fields): unknown {
  const list = f.list('extensions');
  if (!list) return undefined;
  for (const [i, item] of list.entries()) {
    const ext = new Fields(f.file, `${f.prefix}.extensions[${i}]`, asMapping(item, f.at(`extensions[${i}]`)));
    if (ext.string('name') === 'client.authentication.k8s.io/exec') return ext.map.extension;
  }
  return undefined;
}

function readUser(name: string, f: Fields): UserEntry {
  const certData = f.string('client-certificate-data');
  const keyData = f.secret('client-key-data');
  const extra = f.mapping('as-user-extra');
  const impersonateExtra: Record<string, string[]> = {};
  if (extra) for (const key of Object.keys(extra.map)) impersonateExtra[key] = extra.strings(key) ?? [];
  const provider = f.mapping('auth-provider');
  const tokenFile = f.path('tokenFile') ?? f.path('token-file');
  return {
    name,
    file: f.file,
    token: f.secret('token'),
    tokenFile,
    username: f.string('username'),
    password: f.secret('password'),
    clientCertificate: f.path('client-certificate'),
    clientCertificateData: certData === undefined ? undefined : decodeBase64(certData, f.at('client-certificate-data')),
    clientKey: f.path('client-key'),
    clientKeyData: keyData === undefined ? undefined : decodeBase64(keyData, f.at('client-key-data')),
    impersonate: f.string('as'),
    impersonateUid: f.string('as-uid'),
    impersonateGroups: f.strings('as-groups') ?? [],
    impersonateExtra,
    exec: readExec(f.mapping('exec')),
    authProvider: provider ? (provider.string('name') ?? '(unnamed)') : undefined,
  };
}

function readExec(f: Fields | undefined): ExecEntry | undefined {
  if (!f) return undefined;
  const env = (f.list('env') ?? []).map((item, i) => {
    const e = new Fields(f.file, `${f.prefix}.env[${i}]`, asMapping(item, f.at(`env[${i}]`)));
    const name = e.string('name');
    if (!name) invalid(e.at('name'), 'is missing');
    const value = e.secret('value');
    // client-go: "env variable NAME value must be specified"; an empty string is a value.
    if (value === undefined && !('value' in e.map)) invalid(e.at('value'), `must be specified for variable ${name}`);
    return { name, value: value ?? '' };
  });
  return {
    // client-go ResolveLocalPaths: a command with a path separator is relative to the kubeconfig.
    command: f.string('command')?.includes('/') ? f.path('command') : f.string('command'),
    args: f.strings('args') ?? [],
    env,
    apiVersion: f.string('apiVersion'),
    installHint: f.string('installHint'),
    provideClusterInfo: f.bool('provideClusterInfo') ?? false,
    interactiveMode: f.string('interactiveMode'),
  };
}

function readContext(name: string, f: Fields): ContextEntry {
  return { name, file: f.file, cluster: f.string('cluster'), user: f.string('user'), namespace: f.string('namespace') };
}

function asMapping(value: unknown, at: Origin): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date)
    invalid(at, `must be a mapping, not ${describe(value)}`);
  return value as Record<string, unknown>;
}

/** How a value reads in a message, without the value: secrets must not leak through type errors. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a timestamp';
  switch (typeof value) {
    case 'object':
      return 'a mapping';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return typeof value;
  }
}

/** Typed reads of one mapping, each naming `file` and `prefix.key` when the type is wrong. */
class Fields {
  constructor(
    readonly file: string,
    readonly prefix: string,
    readonly map: Record<string, unknown>,
    readonly dir?: string,
  ) {}

  at(key: string): Origin {
    return { file: this.file, field: this.prefix ? `${this.prefix}.${key}` : key };
  }

  /** A string; absent, null and '' read as unset (Go's zero value, `omitempty`). */
  string(key: string): string | undefined {
    const value = this.map[key];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') invalid(this.at(key), `must be a string, not ${describe(value)}`);
    return value;
  }

  /** A string holding a secret: the same checks, a separate name so the intent reads at the call. */
  secret(key: string): string | undefined {
    return this.string(key);
  }

  /** A file path, resolved against the kubeconfig's folder (client-go `ResolveLocalPaths`). */
  path(key: string): string | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    return isAbsolute(value) ? value : resolve(this.dir ?? process.cwd(), value);
  }

  bool(key: string): boolean | undefined {
    const value = this.map[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') invalid(this.at(key), `must be true or false, not ${describe(value)}`);
    return value;
  }

  list(key: string): unknown[] | undefined {
    const value = this.map[key];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) invalid(this.at(key), `must be a list, not ${describe(value)}`);
    return value;
  }

  strings(key: string): string[] | undefined {
    const list = this.list(key);
    return list?.map((item, i) => {
      if (typeof item !== 'string') invalid(this.at(`${key}[${i}]`), `must be a string, not ${describe(item)}`);
      return item;
    });
  }

  mapping(key: string, prefix = this.at(key).field): Fields | undefined {
    const value = this.map[key];
    if (value === undefined || value === null) return undefined;
    return new Fields(this.file, prefix, asMapping(value, this.at(key)), this.dir);
  }
}

/** An in-memory kubeconfig: relative paths are relative to the working directory. */
export function objectDocument(doc: unknown, label = '<object>'): KubeconfigDocument {
  return { file: label, dir: process.cwd(), doc };
}

/** Parses kubeconfig text (YAML or JSON) as if read from `file`. */
export function textDocument(text: string, file: string, dir: string): KubeconfigDocument {
  return { file, dir, doc: parseYaml(text, file) };
}
