import { compileObjectValidator, fieldErrorString, type JSONSchemaProps } from '../../src/resources/index.js';

/** A CRD root schema with the given spec schema (and optional root rules). */
export function rootWith(spec: JSONSchemaProps, extra: Partial<JSONSchemaProps> = {}): JSONSchemaProps {
  return {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec,
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
    ...extra,
  };
}

/** An object of kind Widget (test.example.com/v1) with the given spec. */
export function widget(spec: unknown, status?: unknown): Record<string, unknown> {
  const obj: Record<string, unknown> = {
    apiVersion: 'test.example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec,
  };
  if (status !== undefined) obj.status = status;
  return obj;
}

/** The error strings of creating `object` against `schema` (after pruning and defaulting). */
export function createErrors(schema: JSONSchemaProps, object: unknown): string[] {
  const v = compileObjectValidator({ apiVersion: 'test.example.com/v1', kind: 'Widget', schema });
  const copy = structuredClone(object);
  v.prune(copy);
  v.applyDefaults(copy);
  return v.validateCreate(copy).errors.map(fieldErrorString);
}

/** The error strings (and warnings) of updating `old` to `object`. */
export function updateResult(
  schema: JSONSchemaProps,
  object: unknown,
  old: unknown,
): { errors: string[]; warnings: string[] } {
  const v = compileObjectValidator({ apiVersion: 'test.example.com/v1', kind: 'Widget', schema });
  const r = v.validateUpdate(structuredClone(object), structuredClone(old));
  return { errors: r.errors.map(fieldErrorString), warnings: r.warnings };
}
