/**
 * Validation of `metadata.ownerReferences` on every write, as the real server's
 * `ValidateOwnerReferences`: apiVersion, kind, name and uid required, at most one controller.
 * What happens to dependents of deleted owners is the garbage collector's
 * (`registry/garbage-collector.ts`).
 */
import type { KubeObject, StatusCause } from '../../core/index.js';
import { invalid } from '../errors/status-errors.js';
import { refOf, type ServedType } from '../served/served-types.js';

/** Validates ownerReferences: required fields, at most one controller (422 otherwise). */
export function validateOwnerReferences(obj: KubeObject, served: ServedType): void {
  const refs = obj.metadata.ownerReferences;
  if (refs === undefined || refs === null) return;
  const causes: StatusCause[] = [];
  if (!Array.isArray(refs)) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: 'Invalid value: must be a list',
      field: 'metadata.ownerReferences',
    });
  } else {
    refs.forEach((ref, i) => {
      for (const field of ['apiVersion', 'kind', 'name', 'uid'] as const) {
        if (typeof ref?.[field] !== 'string' || ref[field] === '') {
          causes.push({
            reason: 'FieldValueRequired',
            message: 'Required value',
            field: `metadata.ownerReferences[${i}].${field}`,
          });
        }
      }
    });
    const controllers = refs.filter((r) => r?.controller === true);
    if (controllers.length > 1) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(controllers.map((c) => c.name))}: Only one reference can have Controller set to true. Found "true" in references for ${controllers.map((c) => `${c.kind}/${c.name}`).join(' and ')}`,
        field: 'metadata.ownerReferences',
      });
    }
  }
  if (causes.length > 0) throw invalid(refOf(served), String(obj.metadata.name ?? ''), causes);
}
