/**
 * TypeBox schemas to CRD schemas (`JSONSchemaProps`). TypeBox writes JSON Schema; a CRD wants the
 * OpenAPI v3 subset Kubernetes accepts, so a few shapes are rewritten: literals and unions of
 * literals become `enum`s with a `type`, a union with `Null` becomes `nullable`, `Record` becomes
 * `additionalProperties`, `Unknown`/`Any` become `x-kubernetes-preserve-unknown-fields`, an
 * intersection of objects is merged, numeric `exclusiveMinimum`/`exclusiveMaximum` become
 * OpenAPI's boolean form. Keywords a CRD cannot hold are errors naming the field.
 */
import type { JSONSchemaProps } from './types.js';

/** A TypeBox schema shape that has no CRD equivalent (the message names the field and why). */
export class SchemaConversionError extends Error {
  override readonly name = 'SchemaConversionError';
}

const PASS_THROUGH = new Set([
  'type',
  'format',
  'title',
  'description',
  'default',
  'maximum',
  'minimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
  'nullable',
  'example',
  'externalDocs',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

/** Keys TypeBox or users add that carry no meaning for the API server and are dropped. */
const DROPPED = new Set(['$id', '$schema', 'examples', 'readOnly', 'writeOnly', '$comment']);

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function literalType(values: readonly unknown[]): string | undefined {
  if (values.every((v) => typeof v === 'string')) return 'string';
  if (values.every((v) => typeof v === 'boolean')) return 'boolean';
  if (values.every((v) => typeof v === 'number' && Number.isInteger(v))) return 'integer';
  if (values.every((v) => typeof v === 'number')) return 'number';
  return undefined;
}

function isNullSchema(s: unknown): boolean {
  return isRecord(s) && s.type === 'null';
}

function literalOf(s: unknown): { value: unknown } | undefined {
  if (!isRecord(s)) return undefined;
  if (Object.hasOwn(s, 'const')) return { value: s.const };
  if (Array.isArray(s.enum) && s.enum.length === 1) return { value: s.enum[0] };
  return undefined;
}

function convert(schema: unknown, where: string): JSONSchemaProps {
  if (!isRecord(schema)) throw new SchemaConversionError(`${where}: not a schema`);
  const s: Json = { ...schema };
  const fail = (why: string): never => {
    throw new SchemaConversionError(`${where}: ${why}`);
  };

  // Unions: of literals -> enum; with Null -> nullable.
  if (Array.isArray(s.anyOf) && s.type === undefined && !s['x-kubernetes-int-or-string']) {
    const alternatives = s.anyOf as unknown[];
    const nonNull = alternatives.filter((a) => !isNullSchema(a));
    const nullable = nonNull.length < alternatives.length;
    const literals = nonNull.map(literalOf);
    delete s.anyOf;
    let base: JSONSchemaProps;
    if (literals.every((l) => l !== undefined) && nonNull.length > 0) {
      const values = literals.map((l) => l!.value);
      const type = literalType(values) ?? fail('a union of literals must be all strings, all numbers or all booleans');
      base = { type, enum: nullable ? [...values, null] : values };
    } else if (nonNull.length === 1) {
      base = convert(nonNull[0], where);
    } else {
      return fail(
        'a union of schemas is not structural; use K8s.IntOrString(), a union of literals, or an object with optional fields and a oneOf rule',
      );
    }
    const rest = convert({ ...s, type: base.type }, where);
    return { ...base, ...rest, ...(nullable ? { nullable: true } : {}) };
  }
  if (Array.isArray(s.allOf) && s.type === undefined) {
    const parts = (s.allOf as unknown[]).map((p, i) => convert(p, `${where}.allOf[${i}]`));
    if (parts.every((p) => p.type === 'object')) {
      delete s.allOf;
      const merged: JSONSchemaProps = { type: 'object', properties: {}, required: [] };
      for (const p of parts) {
        Object.assign(merged.properties!, p.properties ?? {});
        merged.required!.push(...(p.required ?? []));
      }
      if (merged.required!.length === 0) delete merged.required;
      return {
        ...merged,
        ...convert({ ...s, type: 'object' }, where),
        properties: merged.properties,
        ...(merged.required ? { required: merged.required } : {}),
      };
    }
  }
  const lit = Object.hasOwn(s, 'const') ? { value: s.const } : undefined;
  if (lit !== undefined) {
    delete s.const;
    s.enum = [lit.value];
    s.type ??= literalType([lit.value]);
  }
  if (Array.isArray(s.enum) && s.type === undefined) {
    const t = literalType((s.enum as unknown[]).filter((v) => v !== null));
    if (t !== undefined) s.type = t;
  }
  if (
    Object.keys(s).length === 0 ||
    (s.type === undefined && Object.keys(s).every((k) => k === 'description' || k === 'default'))
  ) {
    // Unknown / Any: a free-form value.
    return { ...(s as JSONSchemaProps), 'x-kubernetes-preserve-unknown-fields': true };
  }
  if (s.type === 'null') fail('a field cannot be only null; use K8s.Nullable(schema)');
  if (typeof s.exclusiveMaximum === 'number') {
    s.maximum = s.exclusiveMaximum;
    s.exclusiveMaximum = true;
  }
  if (typeof s.exclusiveMinimum === 'number') {
    s.minimum = s.exclusiveMinimum;
    s.exclusiveMinimum = true;
  }

  const out: JSONSchemaProps = {};
  for (const [key, value] of Object.entries(s)) {
    if (value === undefined || DROPPED.has(key)) continue;
    switch (key) {
      case 'properties': {
        const props: Record<string, JSONSchemaProps> = {};
        for (const [name, sub] of Object.entries(value as Json)) props[name] = convert(sub, `${where}.${name}`);
        out.properties = props;
        break;
      }
      case 'items':
        if (Array.isArray(value)) fail('tuples are not supported in CRD schemas; use an array of one item type');
        out.items = convert(value, `${where}[]`);
        break;
      case 'additionalProperties':
        out.additionalProperties = typeof value === 'boolean' ? value : convert(value, `${where}.*`);
        break;
      case 'patternProperties': {
        const entries = Object.entries(value as Json);
        if (entries.length === 1 && (entries[0][0] === '^.*$' || entries[0][0] === '^(.*)$')) {
          out.additionalProperties = convert(entries[0][1], `${where}.*`);
        } else {
          fail('patternProperties is not supported in CRD schemas; use Type.Record(Type.String(), ...)');
        }
        break;
      }
      case 'exclusiveMaximum':
      case 'exclusiveMinimum':
        out[key] = value as boolean;
        break;
      case 'anyOf':
      case 'oneOf':
      case 'allOf':
        out[key] = (value as unknown[]).map((v, i) => convertValidation(v, `${where}.${key}[${i}]`));
        break;
      case 'not':
        out.not = convertValidation(value, `${where}.not`);
        break;
      default:
        if (!PASS_THROUGH.has(key)) fail(`keyword '${key}' is not supported in CRD schemas`);
        (out as Json)[key] = value;
    }
  }
  if (out.required !== undefined && out.required.length === 0) delete out.required;
  return out;
}

/** A schema inside allOf/anyOf/oneOf/not: value validation only, kept as written. */
function convertValidation(schema: unknown, where: string): JSONSchemaProps {
  if (!isRecord(schema)) throw new SchemaConversionError(`${where}: not a schema`);
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key)) continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Json).map(([k, v]) => [k, convertValidation(v, `${where}.${k}`)]),
      );
    } else if (key === 'items') out.items = convertValidation(value, `${where}[]`);
    else if (key === 'anyOf' || key === 'oneOf' || key === 'allOf') {
      out[key] = (value as unknown[]).map((v, i) => convertValidation(v, `${where}.${key}[${i}]`));
    } else if (key === 'not') out.not = convertValidation(value, `${where}.not`);
    else out[key] = value;
  }
  return out as JSONSchemaProps;
}

/**
 * Converts a TypeBox (JSON Schema) schema to the CRD form. `where` names the field in errors.
 *
 * @throws SchemaConversionError for shapes no CRD can hold (tuples, general unions, ...).
 */
export function toCrdSchema(schema: unknown, where = 'schema'): JSONSchemaProps {
  return convert(schema, where);
}
