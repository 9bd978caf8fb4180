/**
 * The errors StateDB throws. Each has a stable `code`; none of them is worth retrying as is,
 * because each names a programming error or a lost race the caller must resolve.
 */
import { KLOOP_ERROR_CODES, KloopError } from '../core/index.js';

/** Every code a {@link StateDBError} can carry. */
export type StateDBErrorCode =
  /** A table or index name does not match `^[a-z][a-z0-9_-]{0,62}$`, or is taken. */
  | 'KLOOP_STATEDB_INVALID_NAME'
  /** A key function returned something that is not a string, number or array of them. */
  | 'KLOOP_STATEDB_INVALID_KEY'
  /** Two objects claim the same key of a unique index. Aborts the transaction. */
  | 'KLOOP_STATEDB_UNIQUE_VIOLATION'
  /** A transaction was used after commit or abort. */
  | 'KLOOP_STATEDB_TXN_CLOSED'
  /** A write transaction stayed open across an `await` (or its callback returned a Promise). */
  | 'KLOOP_STATEDB_TXN_ASYNC'
  /** A table is written that the transaction did not lock, or is locked by another transaction. */
  | 'KLOOP_STATEDB_TABLE_LOCKED'
  /** A table handle from another StateDB (`tableByName` returns `undefined` for an unknown name). */
  | 'KLOOP_STATEDB_UNKNOWN_TABLE'
  /** An index name the table does not have. */
  | 'KLOOP_STATEDB_UNKNOWN_INDEX'
  /** A query that cannot be answered (a prefix of a number key). */
  | 'KLOOP_STATEDB_BAD_QUERY'
  /** An initializer's done function was called twice, or one was registered without a name. */
  | 'KLOOP_STATEDB_INITIALIZER';

/**
 * A StateDB failure.
 *
 * @remarks Not retryable: fix the call. A transaction that throws (for this or any other reason)
 * is aborted with nothing applied, so the database stays as it was.
 *
 * @example
 * ```ts
 * import { StateDB } from 'kloop/statedb';
 *
 * const db = new StateDB();
 * const t = db.table<{ id: string; ip: string }>('backends', {
 *   primary: (b) => b.id,
 *   indexes: { ip: { key: (b) => b.ip, unique: true } },
 * });
 * db.write([t], (txn) => txn.insert(t, { id: 'a', ip: '10.0.0.1' }));
 * try {
 *   db.write([t], (txn) => txn.insert(t, { id: 'b', ip: '10.0.0.1' }));
 * } catch (err) {
 *   if (err instanceof StateDBError && err.code === 'KLOOP_STATEDB_UNIQUE_VIOLATION') console.error(err.message);
 * }
 * ```
 */
export class StateDBError extends KloopError {
  declare readonly code: StateDBErrorCode;

  constructor(code: StateDBErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Every {@link StateDBErrorCode}: the statedb rows of core's one table of codes. */
export const STATEDB_ERROR_CODES: readonly StateDBErrorCode[] = KLOOP_ERROR_CODES.filter(
  (code): code is StateDBErrorCode => code.startsWith('KLOOP_STATEDB_'),
);
