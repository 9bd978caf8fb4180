/**
 * The error of everything kubeconfig: a file or field that cannot be used, and credentials that
 * cannot be obtained. Kept apart so the parser, the credential sources and the loader share it
 * without importing each other.
 */
import { KloopError } from '../core/index.js';

/** What went wrong: the configuration must change, or its credential source failed at run time. */
export type KubeconfigErrorCode = 'KLOOP_KUBECONFIG_INVALID' | 'KLOOP_CREDENTIALS_UNAVAILABLE';

/**
 * A kubeconfig that cannot be used, or credentials it names that cannot be obtained. `file`
 * names where it came from (`<object>` for an in-memory one, `<in-cluster>` for the service
 * account) and `field` the path inside it, in kubeconfig spelling. Messages never contain a
 * token, key or password.
 *
 * @remarks `KLOOP_KUBECONFIG_INVALID` is not retryable: the configuration has to be fixed.
 * `KLOOP_CREDENTIALS_UNAVAILABLE` (an exec plugin that failed, a token file that vanished) may
 * pass: the next request asks again.
 *
 * @example
 * ```ts
 * import { KubeClient } from 'kloop';
 *
 * try {
 *   KubeClient.fromKubeconfig('./kubeconfig');
 * } catch (err) {
 *   if (err instanceof KubeconfigError) console.error(err.file, err.field, err.message);
 * }
 * ```
 */
export class KubeconfigError extends KloopError {
  /** The file (or `<object>`, `<in-cluster>`) the configuration came from. */
  readonly file: string;
  /** The field at fault, kubeconfig spelling: `clusters[c].cluster.server`, `current-context`. */
  readonly field: string;
  declare readonly code: KubeconfigErrorCode;

  constructor(file: string, field: string, message: string, options?: { cause?: unknown; code?: KubeconfigErrorCode }) {
    super(options?.code ?? 'KLOOP_KUBECONFIG_INVALID', `${file}: ${field}: ${message}`, options);
    this.name = 'KubeconfigError';
    this.file = file;
    this.field = field;
  }
}

/** Where a value came from, for error messages: the file and the field path. */
export interface Origin {
  readonly file: string;
  readonly field: string;
}

/** Throws a `KubeconfigError` at `origin`. */
export function invalid(origin: Origin, message: string, cause?: unknown): never {
  throw new KubeconfigError(origin.file, origin.field, message, cause === undefined ? undefined : { cause });
}
