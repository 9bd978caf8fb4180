/**
 * Every `code` a `KloopError` can carry, in one table (fastify keeps its codes so). The union
 * {@link KloopErrorCode} is derived from it, so the compiler rejects a code that is not listed
 * here, and `test/core/error-codes.test.ts` keeps the table, `docs/reference/errors.md` and the
 * error classes in step. Grouped by the module that raises them.
 */
export const KLOOP_ERROR_CODES = [
  // core
  'KLOOP_API_ERROR',
  'KLOOP_TERMINAL',
  'KLOOP_INVALID_SELECTOR',
  'KLOOP_INVALID_PATCH',
  'KLOOP_PATCH_TEST_FAILED',
  'KLOOP_UNKNOWN_TYPE',
  'KLOOP_INVALID_KEY',
  'KLOOP_WRITE_FENCED',
  // apiserver (emulator)
  'KLOOP_APISERVER_STATUS',
  'KLOOP_APPLY_INVALID',
  'KLOOP_INVALID_FIELDS',
  'KLOOP_CERTIFICATE_OPTIONS',
  'KLOOP_PROTOBUF_INVALID',
  'KLOOP_PROTOBUF_UNENCODABLE',
  // client
  'KLOOP_CONNECTION_ERROR',
  'KLOOP_REQUEST_ABORTED',
  'KLOOP_BAD_RESPONSE',
  'KLOOP_INVALID_OBJECT',
  'KLOOP_KUBECONFIG_INVALID',
  'KLOOP_CREDENTIALS_UNAVAILABLE',
  'KLOOP_INVALID_NAME',
  'KLOOP_WATCH_MALFORMED',
  // resources
  'KLOOP_INVALID_RESOURCE_DEFINITION',
  'KLOOP_TYPE_ONLY',
  'KLOOP_CONVERSION_FAILED',
  'KLOOP_VALIDATION_FAILED',
  // cache
  'KLOOP_INFORMER_STOPPED',
  'KLOOP_WATCH_ERROR_EVENT',
  'KLOOP_UNKNOWN_INDEX',
  'KLOOP_INDEX_EXISTS',
  // controller
  'KLOOP_CONTROLLER_CONFIG',
  'KLOOP_CLIENT_USAGE',
  'KLOOP_RECONCILE_TIMEOUT',
  'KLOOP_CONTROLLER_STOPPED',
  // manager
  'KLOOP_SHARD_COUNT_MISMATCH',
  'KLOOP_MANAGER',
  'KLOOP_INVALID_OPTIONS',
  // collections
  'KLOOP_COLLECTION_TRANSFORM',
  'KLOOP_COLLECTION_ORDER',
  'KLOOP_COLLECTION_DISPOSED',
  'KLOOP_COLLECTION_DUPLICATE_KEY',
  'KLOOP_COLLECTION_NO_KEY',
  'KLOOP_COLLECTION_INDEX',
  'KLOOP_COLLECTION_CONTEXT',
  'KLOOP_COLLECTION_SUBSCRIBER',
  // statedb
  'KLOOP_STATEDB_INVALID_NAME',
  'KLOOP_STATEDB_INVALID_KEY',
  'KLOOP_STATEDB_UNIQUE_VIOLATION',
  'KLOOP_STATEDB_TXN_CLOSED',
  'KLOOP_STATEDB_TXN_ASYNC',
  'KLOOP_STATEDB_TABLE_LOCKED',
  'KLOOP_STATEDB_UNKNOWN_TABLE',
  'KLOOP_STATEDB_UNKNOWN_INDEX',
  'KLOOP_STATEDB_BAD_QUERY',
  'KLOOP_STATEDB_INITIALIZER',
  // cli
  'KLOOP_CLI_USAGE',
  'KLOOP_DEMO_EXAMPLES',
] as const;

/**
 * The stable code of a `KloopError`: what callers branch on (`err.code === 'KLOOP_WRITE_FENCED'`).
 * Each is described, with whether to retry, in `docs/reference/errors.md`.
 */
export type KloopErrorCode = (typeof KLOOP_ERROR_CODES)[number];
