/**
 * kloop core: the pure building blocks every other layer uses. Nothing here does I/O.
 *
 * - Shapes: objects, keys, resource types (`types.ts`), built-in type constants and the
 *   registry mapping `{ apiVersion, kind }` to REST resources (`resources.ts`), object keys.
 * - Errors: `KloopError` with stable codes, `ApiError` holding the server's `Status`,
 *   `TerminalError`, `makeStatus`.
 * - Selectors: label and field selectors, parsed and matched as Kubernetes does.
 * - Patches: JSON patch (RFC 6902), merge patch (RFC 7386), strategic merge patch, and the
 *   list-type table server-side apply shares.
 * - Equality, freezing, cloning, and the changed-field diff that reconcile provenance reports.
 */

export * from './clock.js';
export * from './crd-types.js';
export * from './diff.js';
export * from './equal.js';
export * from './error-codes.js';
export * from './errors.js';
export * from './fence.js';
export * from './json-patch.js';
export * from './keys.js';
export * from './merge-patch.js';
export * from './objects.js';
export * from './per-registry.js';
export * from './resource-version.js';
export * from './resources.js';
export * from './selectors.js';
export * from './strategic-merge.js';
export * from './types.js';
