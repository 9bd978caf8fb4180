/**
 * The API server's limits on JSON patches (`handlers/patch.go`): at most 10,000 operations (more
 * is a 413), and `copy` operations adding at most 3 MiB in total (`--json-patch-max-copy-bytes`,
 * evanphx/json-patch's `AccumulatedCopySizeLimit`; CVE-2019-1002100, where a few doubling copies
 * built gigabytes). A patch that fails to apply is a 422 whose text says nothing more, as the
 * real server's `NewGenericServerResponse(422, ...)` does.
 */
import { applyJsonPatch, type JsonPatchOperation } from '../../core/index.js';
import { StatusError, statusError } from '../errors/status-errors.js';

/** `maxJSONPatchOperations`. */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

/** `--json-patch-max-copy-bytes` default (3 MiB). */
export const JSON_PATCH_MAX_COPY_BYTES = 3 * 1024 * 1024;

/** 413 for a JSON patch with too many operations (checked before any is applied). */
export function checkJsonPatchOperations(ops: readonly unknown[]): void {
  if (ops.length <= MAX_JSON_PATCH_OPERATIONS) return;
  throw statusError(
    'RequestEntityTooLarge',
    `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
  );
}

/**
 * The 422 of a patch that decoded but did not apply (`NewGenericServerResponse` with no resource
 * and no causes): the engine's text is not passed on.
 */
export function patchNotApplied(cause?: unknown): StatusError {
  const status = statusError('Invalid', 'the server rejected our request due to an error in our request', {}).status;
  return new StatusError(status, { cause });
}

/**
 * Applies a JSON patch within the API server's limits: 413 past 10,000 operations, and the
 * accumulated copy size capped at 3 MiB (a `PatchError` with `copyLimit` from the engine, which the
 * caller answers with {@link patchNotApplied}).
 */
export function applyJsonPatchWithinLimits<T>(doc: T, ops: readonly JsonPatchOperation[]): T {
  checkJsonPatchOperations(ops);
  return applyJsonPatch(doc, ops, { maxCopyBytes: JSON_PATCH_MAX_COPY_BYTES });
}
