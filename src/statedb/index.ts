/**
 * kloop/statedb: an in-memory database for controller state (Go: cilium/statedb).
 *
 * Tables hold typed objects under a primary index and any number of unique or non-unique
 * secondary indexes (string, number or composite keys). Writes happen in synchronous
 * transactions over one or more tables and commit atomically; reads take an O(1) snapshot of
 * every table, backed by persistent B+trees. Every query can hand out a watch that fires when its
 * result may have changed, and `table.changes()` streams changes, deletes included, in revision
 * order. On top: a reflector that mirrors an informer into a table, and a reconciler that pushes
 * a table's desired objects to an external system.
 *
 * Objects stored are shared, never copied: treat them as immutable.
 */

export { StateDB, type StateDBOptions } from './db.js';
export { STATEDB_ERROR_CODES, StateDBError, type StateDBErrorCode } from './errors.js';
export type { IndexKey, KeyPart } from './keys.js';
export { type Describable, registerStateDBMetrics } from './metrics.js';
export {
  pendingStatus,
  type Reconciler,
  type ReconcilerDB,
  type ReconcilerHealth,
  type ReconcilerOps,
  type ReconcilerOptions,
  type ReconcileStatus,
  startReconciler,
} from './reconciler.js';
export { type ReflectorOptions, type ReflectorStats, startReflector, type TableReflector } from './reflector.js';
export type {
  Change,
  ChangeIterator,
  ChangesOptions,
  CompareResult,
  IndexSpec,
  Query,
  QueryResult,
  ReadTxn,
  Revisioned,
  StateDBDescription,
  Table,
  TableDescription,
  TableDump,
  TableOptions,
  Watch,
  WriteTxn,
} from './types.js';
