/**
 * Exec credential plugins (`users[].user.exec`), as client-go's `plugin/pkg/client/auth/exec`
 * runs them: the command with its args and env, `KUBERNETES_EXEC_INFO` holding an
 * `ExecCredential` (with the cluster when `provideClusterInfo`), stdout read as the answer,
 * stderr passed through to the user. The answer is kept until its `expirationTimestamp` (for
 * ever without one) and dropped after a 401, so the next request runs the plugin again.
 *
 * kloop never runs a plugin interactively: stdin is closed and `spec.interactive` is false, so
 * `interactiveMode: Always` is refused when the kubeconfig is loaded.
 */
import { spawn } from 'node:child_process';
import { KubeconfigError, type Origin } from './kubeconfig-error.js';
import type { ExecEntry } from './kubeconfig-parse.js';

/** The `apiVersion`s of `ExecCredential` kloop speaks. */
export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;

/** A credential a plugin handed out. Values are secrets: never log or print them. */
export interface ExecCredentialResult {
  readonly token?: string;
  /** PEM client certificate and key. */
  readonly clientCertificate?: string;
  readonly clientKey?: string;
  /** Wall-clock ms after which the plugin must run again; `Infinity` when it gave no expiry. */
  readonly expiresAt: number;
}

/** Cluster details handed to a plugin with `provideClusterInfo: true` (client-go's `Cluster`). */
export interface ExecClusterInfo {
  readonly server: string;
  readonly tlsServerName?: string;
  readonly insecureSkipTlsVerify: boolean;
  /** The CA bundle's bytes (base64-encoded on the way to the plugin). */
  readonly certificateAuthorityData?: Buffer;
  readonly proxyUrl?: string;
  readonly config?: unknown;
}

const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
const NOT_INSTALLED = `It looks like you are trying to use a client-go credential plugin that is not installed.

To learn more about this feature, consult the documentation available at:
      https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins`;

/** Runs one user's exec plugin and keeps its answer until it expires. */
export class ExecCredentialPlugin {
  readonly #exec: ExecEntry;
  readonly #origin: Origin;
  readonly #cluster: () => ExecClusterInfo;
  readonly #now: () => number;
  readonly #env: Readonly<Record<string, string | undefined>>;
  #cached: ExecCredentialResult | undefined;
  #running: Promise<ExecCredentialResult> | undefined;

  constructor(
    exec: ExecEntry,
    origin: Origin,
    options: {
      cluster: () => ExecClusterInfo;
      now: () => number;
      env: Readonly<Record<string, string | undefined>>;
    },
  ) {
    this.#exec = exec;
    this.#origin = origin;
    this.#cluster = options.cluster;
    this.#now = options.now;
    this.#env = options.env;
  }

  /** When the cached answer runs out (wall-clock ms), or 0 when there is none. */
  get expiresAt(): number {
    return this.#cached?.expiresAt ?? 0;
  }

  /** The current credential: cached while valid, else from a new run (one at a time). */
  get(): Promise<ExecCredentialResult> {
    const cached = this.#cached;
    if (cached && this.#now() < cached.expiresAt) return Promise.resolve(cached);
    this.#running ??= this.#run()
      .then((result) => {
        this.#cached = result;
        return result;
      })
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  /** Forgets the cached answer (after a 401): the next `get` runs the plugin again. */
  invalidate(): void {
    this.#cached = undefined;
  }

  async #run(): Promise<ExecCredentialResult> {
    const exec = this.#exec;
    const command = exec.command as string;
    const apiVersion = exec.apiVersion as string;
    const spec: Record<string, unknown> = { interactive: false };
    if (exec.provideClusterInfo) spec.cluster = clusterJson(this.#cluster());
    const info = JSON.stringify({ apiVersion, kind: 'ExecCredential', spec });
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.#env)) if (v !== undefined) env[k] = v;
    for (const { name, value } of exec.env) env[name] = value;
    env.KUBERNETES_EXEC_INFO = info;
    const stdout = await this.#spawn(command, exec.args, env);
    return this.#parse(stdout, apiVersion);
  }

  #spawn(command: string, args: readonly string[], env: Record<string, string>): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const child = spawn(command, [...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      child.stdout.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_OUTPUT_BYTES) {
          failed = true;
          child.kill();
          reject(this.#unavailable(`exec: executable ${command} wrote more than ${MAX_OUTPUT_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        if (failed) return;
        failed = true;
        if (err.code === 'ENOENT') {
          const hint = this.#exec.installHint ? `\n\n${this.#exec.installHint}` : '';
          reject(
            new KubeconfigError(
              this.#origin.file,
              `${this.#origin.field}.command`,
              `exec: executable ${command} not found\n\n${NOT_INSTALLED}${hint}`,
            ),
          );
        } else if (err.code === 'EACCES') {
          reject(
            new KubeconfigError(
              this.#origin.file,
              `${this.#origin.field}.command`,
              `exec: executable ${command} is not executable`,
            ),
          );
        } else reject(this.#unavailable(`exec: executable ${command} could not be started (${err.code ?? 'error'})`));
      });
      child.on('close', (code, signal) => {
        if (failed) return;
        if (code !== 0) {
          const how = signal ? `was killed by ${signal}` : `failed with exit code ${code}`;
          reject(this.#unavailable(`exec: executable ${command} ${how}`));
          return;
        }
        resolve(Buffer.concat(chunks));
      });
    });
  }

  /** Reads the plugin's answer. Its content is never quoted: it holds the secret. */
  #parse(stdout: Buffer, apiVersion: string): ExecCredentialResult {
    let parsed: unknown;
    try {
      parsed = JSON.parse(stdout.toString('utf8'));
    } catch {
      throw this.#unavailable('exec plugin output is not a JSON ExecCredential');
    }
    const cred = (parsed ?? {}) as Record<string, unknown>;
    if (cred.kind !== 'ExecCredential') throw this.#unavailable('exec plugin output is not an ExecCredential');
    if (cred.apiVersion !== apiVersion) {
      const got = typeof cred.apiVersion === 'string' ? cred.apiVersion : '(none)';
      throw this.#unavailable(
        `exec plugin is configured to use API version ${apiVersion}, plugin returned version ${got}`,
      );
    }
    const status = cred.status as Record<string, unknown> | undefined;
    if (!status || typeof status !== 'object') throw this.#unavailable("exec plugin didn't return a status field");
    const text = (key: string): string | undefined => {
      const value = status[key];
      if (value === undefined || value === null || value === '') return undefined;
      if (typeof value !== 'string') throw this.#unavailable(`exec plugin status.${key} must be a string`);
      return value;
    };
    const token = text('token');
    const clientCertificate = text('clientCertificateData');
    const clientKey = text('clientKeyData');
    if (!token && !clientCertificate && !clientKey)
      throw this.#unavailable("exec plugin didn't return a token or cert/key pair");
    if (Boolean(clientCertificate) !== Boolean(clientKey))
      throw this.#unavailable('exec plugin returned only certificate or key, not both');
    const expiry = text('expirationTimestamp');
    let expiresAt = Number.POSITIVE_INFINITY;
    if (expiry !== undefined) {
      expiresAt = Date.parse(expiry);
      if (Number.isNaN(expiresAt))
        throw this.#unavailable(`exec plugin status.expirationTimestamp is not a time: ${expiry.slice(0, 40)}`);
    }
    return { token, clientCertificate, clientKey, expiresAt };
  }

  #unavailable(message: string): KubeconfigError {
    return new KubeconfigError(this.#origin.file, this.#origin.field, message, {
      code: 'KLOOP_CREDENTIALS_UNAVAILABLE',
    });
  }
}

function clusterJson(info: ExecClusterInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { server: info.server };
  if (info.tlsServerName) out['tls-server-name'] = info.tlsServerName;
  if (info.insecureSkipTlsVerify) out['insecure-skip-tls-verify'] = true;
  if (info.certificateAuthorityData)
    out['certificate-authority-data'] = info.certificateAuthorityData.toString('base64');
  if (info.proxyUrl) out['proxy-url'] = info.proxyUrl;
  if (info.config !== undefined) out.config = info.config;
  return out;
}

/** Validates an exec entry the way client-go does when the kubeconfig is loaded. */
export function checkExecEntry(exec: ExecEntry, origin: Origin, user: string): void {
  const at = (field: string): Origin => ({ file: origin.file, field: `${origin.field}.${field}` });
  const fail = (o: Origin, message: string): never => {
    throw new KubeconfigError(o.file, o.field, message);
  };
  if (!exec.command) fail(at('command'), `must be specified for ${user} to use exec authentication plugin`);
  if (!exec.apiVersion) fail(at('apiVersion'), `must be specified for ${user} to use exec authentication plugin`);
  if (!(EXEC_API_VERSIONS as readonly string[]).includes(exec.apiVersion as string))
    fail(at('apiVersion'), `${exec.apiVersion} is not supported; use ${EXEC_API_VERSIONS.join(' or ')}`);
  // client-go defaults interactiveMode to IfAvailable for v1beta1 only; v1 must say it.
  const mode =
    exec.interactiveMode ?? (exec.apiVersion === 'client.authentication.k8s.io/v1beta1' ? 'IfAvailable' : undefined);
  if (mode === undefined)
    fail(at('interactiveMode'), `must be specified for ${user} to use exec authentication plugin`);
  if (mode !== 'Never' && mode !== 'IfAvailable' && mode !== 'Always')
    fail(at('interactiveMode'), `invalid interactiveMode for ${user}: "${mode}" (Never, IfAvailable or Always)`);
  if (mode === 'Always')
    fail(
      at('interactiveMode'),
      'is Always, but kloop never runs exec plugins interactively (standard input is not a terminal)',
    );
}
