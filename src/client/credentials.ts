/**
 * The credentials of one kubeconfig context, turned into what each request needs: the TLS
 * material for the connection pool (CA, client certificate and key, server name, verification)
 * and the headers (bearer token or basic auth, impersonation).
 *
 * Files and plugins are read or run on first use, not when the kubeconfig is loaded (so
 * `KubeClient.fromKubeconfig` stays synchronous), and again when they may have changed: token
 * files after `tokenFileRefreshMs` (bound service-account tokens rotate; client-go re-reads them
 * too), TLS files after `tlsFileRefreshMs` (client-go's certificate rotation), exec answers at
 * their `expirationTimestamp`, and all of them after a 401 (`invalidate`). Between those, `get`
 * returns the same object, so the transport recognises its pool by reference.
 */
import { readFileSync } from 'node:fs';
import { type ExecClusterInfo, ExecCredentialPlugin } from './exec-credential.js';
import { KubeconfigError, type Origin } from './kubeconfig-error.js';
import type { ClusterEntry, UserEntry } from './kubeconfig-parse.js';
import { checkKeyPair, parseCertificates, parsePrivateKey } from './pem.js';
import type { AuthMaterial } from './types.js';

/** Timing and environment of a credential source. */
export interface CredentialOptions {
  /** Wall-clock milliseconds (exec expiries are wall-clock times). */
  readonly now: () => number;
  /** Token files are read again after this long (default 10 s) and after a 401. */
  readonly tokenFileRefreshMs: number;
  /** CA and client certificate files are read again after this long (default 5 min). */
  readonly tlsFileRefreshMs: number;
  /** Environment handed to exec plugins (default `process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Characters Node (and Go's net/http) refuse in a header value: line breaks and other controls. */
const INVALID_HEADER_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Throws unless `token` (a token, or any other kubeconfig value sent as a header) can travel in
 * an HTTP header. The value never reaches the message.
 */
export function checkToken(token: string, origin: Origin): void {
  if (INVALID_HEADER_CHAR.test(token)) {
    throw new KubeconfigError(
      origin.file,
      origin.field,
      'contains a character that is not allowed in an HTTP header (a line break or another control character)',
    );
  }
}

/**
 * A file read again when its copy is older than `maxAgeMs`, or after `invalidate`. A read is
 * committed only after the caller checked it, so a bad file fails every request until fixed
 * instead of once.
 */
class RereadFile {
  #value: Buffer | undefined;
  #readAt = 0;

  constructor(
    readonly path: string,
    readonly origin: Origin,
    readonly maxAgeMs: number,
  ) {}

  /** The contents, whether they differ from the committed copy, and `commit` to keep them. */
  read(now: number): { value: Buffer; changed: boolean; commit: () => void } {
    const held = this.#value;
    if (held && now - this.#readAt < this.maxAgeMs) return { value: held, changed: false, commit: () => {} };
    let value: Buffer;
    try {
      value = readFileSync(this.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new KubeconfigError(this.origin.file, this.origin.field, `cannot read ${this.path} (${code})`, {
        code: 'KLOOP_CREDENTIALS_UNAVAILABLE',
      });
    }
    const changed = !held?.equals(value);
    return {
      value: changed ? value : (held as Buffer),
      changed,
      commit: () => {
        this.#readAt = now;
        if (changed) this.#value = value;
      },
    };
  }

  /** When the copy is due for a re-read. */
  get dueAt(): number {
    return this.#value ? this.#readAt + this.maxAgeMs : 0;
  }

  invalidate(): void {
    this.#readAt = Number.NEGATIVE_INFINITY;
  }
}

/** The credential source of one context. */
export class Credentials {
  /** True when credentials can change while running (token files, exec plugins). */
  readonly dynamic: boolean;
  readonly #cluster: ClusterEntry;
  readonly #user: UserEntry | undefined;
  readonly #options: CredentialOptions;
  readonly #ca: RereadFile | undefined;
  readonly #cert: RereadFile | undefined;
  readonly #key: RereadFile | undefined;
  readonly #tokenFile: RereadFile | undefined;
  readonly #exec: ExecCredentialPlugin | undefined;
  #material: AuthMaterial | undefined;
  #validUntil = 0;
  #building: Promise<AuthMaterial> | undefined;

  constructor(cluster: ClusterEntry, user: UserEntry | undefined, options: CredentialOptions) {
    this.#cluster = cluster;
    this.#user = user;
    this.#options = options;
    const clusterAt = (field: string): Origin => ({
      file: cluster.file,
      field: `clusters[${cluster.name}].cluster.${field}`,
    });
    const userAt = (field: string): Origin => ({ file: user?.file ?? '', field: `users[${user?.name}].user.${field}` });
    if (cluster.certificateAuthority && !cluster.certificateAuthorityData)
      this.#ca = new RereadFile(
        cluster.certificateAuthority,
        clusterAt('certificate-authority'),
        options.tlsFileRefreshMs,
      );
    if (user?.clientCertificate)
      this.#cert = new RereadFile(user.clientCertificate, userAt('client-certificate'), options.tlsFileRefreshMs);
    if (user?.clientKey) this.#key = new RereadFile(user.clientKey, userAt('client-key'), options.tlsFileRefreshMs);
    if (user?.tokenFile && !user.token)
      this.#tokenFile = new RereadFile(user.tokenFile, userAt('tokenFile'), options.tokenFileRefreshMs);
    if (user?.exec) {
      this.#exec = new ExecCredentialPlugin(user.exec, userAt('exec'), {
        cluster: () => this.#clusterInfo(),
        now: options.now,
        env: options.env,
      });
    }
    this.dynamic = Boolean(this.#tokenFile || this.#exec);
  }

  /** The TLS material and headers for the next request. */
  get(): Promise<AuthMaterial> {
    if (this.#material && this.#options.now() < this.#validUntil) return Promise.resolve(this.#material);
    this.#building ??= this.#build().finally(() => {
      this.#building = undefined;
    });
    return this.#building;
  }

  /** After a 401: token files are read and exec plugins run again on the next request. */
  invalidate(): void {
    this.#tokenFile?.invalidate();
    this.#exec?.invalidate();
    this.#validUntil = 0;
  }

  async #build(): Promise<AuthMaterial> {
    const now = this.#options.now();
    const cluster = this.#cluster;
    const user = this.#user;
    const previous = this.#material;
    let tlsChanged = previous === undefined;

    let ca = previous?.ca ?? cluster.certificateAuthorityData;
    if (this.#ca) {
      const read = this.#ca.read(now);
      if (read.changed) {
        parseCertificates(read.value, this.#ca.origin);
        ca = read.value;
        tlsChanged = true;
      }
      read.commit();
    }

    let cert = previous?.cert ?? user?.clientCertificateData;
    let key = previous?.key ?? user?.clientKeyData;
    if (this.#cert || this.#key) {
      // Either may be a file and the other `-data`; the pair is checked whenever one changed.
      const certRead = this.#cert?.read(now);
      const keyRead = this.#key?.read(now);
      if (certRead?.changed || keyRead?.changed) {
        const certOrigin = this.#cert?.origin ?? this.#key?.origin;
        const keyOrigin = this.#key?.origin ?? this.#cert?.origin;
        const certValue = certRead?.value ?? user?.clientCertificateData;
        const keyValue = keyRead?.value ?? user?.clientKeyData;
        if (certValue && keyValue && certOrigin && keyOrigin) {
          const chain = parseCertificates(certValue, certOrigin);
          checkKeyPair(chain, parsePrivateKey(keyValue, keyOrigin), keyOrigin);
        }
        cert = certValue;
        key = keyValue;
        tlsChanged = true;
      }
      certRead?.commit();
      keyRead?.commit();
    }

    let token = user?.token;
    if (this.#tokenFile) {
      const read = this.#tokenFile.read(now);
      // client-go trims the file: a trailing newline would make an invalid header.
      token = read.value.toString('utf8').trim();
      if (!token) {
        throw new KubeconfigError(
          this.#tokenFile.origin.file,
          this.#tokenFile.origin.field,
          `${this.#tokenFile.path} is empty`,
          {
            code: 'KLOOP_CREDENTIALS_UNAVAILABLE',
          },
        );
      }
      checkToken(token, this.#tokenFile.origin);
      read.commit();
    }

    if (this.#exec) {
      const credential = await this.#exec.get();
      const origin = { file: user?.file ?? '', field: `users[${user?.name}].user.exec` };
      if (credential.token) {
        checkToken(credential.token, { ...origin, field: `${origin.field} (status.token)` });
        token = credential.token;
      }
      if (credential.clientCertificate && credential.clientKey) {
        const certPem = Buffer.from(credential.clientCertificate);
        const keyPem = Buffer.from(credential.clientKey);
        if (!cert?.equals(certPem) || !key?.equals(keyPem)) {
          const chain = parseCertificates(certPem, {
            ...origin,
            field: `${origin.field} (status.clientCertificateData)`,
          });
          const keyObject = parsePrivateKey(keyPem, { ...origin, field: `${origin.field} (status.clientKeyData)` });
          checkKeyPair(chain, keyObject, origin);
          cert = certPem;
          key = keyPem;
          tlsChanged = true;
        }
      }
    }

    const headers = this.#headers(token);
    // The same object while nothing changed: the transport keys its pool on it.
    if (!tlsChanged && previous && sameHeaders(previous.headers, headers)) this.#material = previous;
    else {
      this.#material = {
        headers,
        ca,
        cert,
        key,
        rejectUnauthorized: !cluster.insecureSkipTlsVerify,
        servername: cluster.tlsServerName,
      };
    }
    this.#validUntil = Math.min(
      this.#tokenFile?.dueAt ?? Number.POSITIVE_INFINITY,
      this.#ca?.dueAt ?? Number.POSITIVE_INFINITY,
      this.#cert?.dueAt ?? Number.POSITIVE_INFINITY,
      this.#key?.dueAt ?? Number.POSITIVE_INFINITY,
      this.#exec?.expiresAt ?? Number.POSITIVE_INFINITY,
    );
    return this.#material;
  }

  #headers(token: string | undefined): Record<string, string | string[]> {
    const user = this.#user;
    const headers: Record<string, string | string[]> = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    else if (user?.username || user?.password) {
      headers.Authorization = `Basic ${Buffer.from(`${user.username ?? ''}:${user.password ?? ''}`).toString('base64')}`;
    }
    if (user?.impersonate) headers['Impersonate-User'] = user.impersonate;
    if (user?.impersonateUid) headers['Impersonate-Uid'] = user.impersonateUid;
    if (user?.impersonateGroups.length) headers['Impersonate-Group'] = [...user.impersonateGroups];
    for (const [k, values] of Object.entries(user?.impersonateExtra ?? {})) {
      // client-go escapes the key: `Impersonate-Extra-` + url.PathEscape(key).
      if (values.length > 0) headers[`Impersonate-Extra-${encodeURIComponent(k)}`] = [...values];
    }
    return headers;
  }

  #clusterInfo(): ExecClusterInfo {
    const cluster = this.#cluster;
    let ca = cluster.certificateAuthorityData;
    if (!ca && this.#ca) ca = this.#ca.read(this.#options.now()).value;
    return {
      server: cluster.server ?? '',
      tlsServerName: cluster.tlsServerName,
      insecureSkipTlsVerify: cluster.insecureSkipTlsVerify,
      certificateAuthorityData: ca,
      proxyUrl: cluster.proxyUrl,
      config: cluster.execExtension,
    };
  }
}

type Headers = Readonly<Record<string, string | readonly string[]>>;

function sameHeaders(a: Headers, b: Headers): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => String(a[k]) === String(b[k]) && Array.isArray(a[k]) === Array.isArray(b[k]));
}
