/**
 * Unknown fields of built-in objects, found as kube-apiserver's strict JSON decoder finds them
 * (`sigs.k8s.io/json` `UnmarshalStrict` into the Go type): every key a Go struct has no field for,
 * by its path (`spec.template.spec.containers[0].imagePullPolicyy`, map values as `.key`). The
 * Go types are read from the protobuf schema table, whose messages carry the JSON names and
 * inline (`json:",inline"`) embeddings of the Go structs. Decoding into the Go type drops those
 * keys, so {@link pruneUnknownFields} removes them too.
 *
 * Not covered: duplicate keys (`duplicate field "x"`): `JSON.parse` keeps the last one silently.
 */
import type { JsonObject, JsonValue } from '../../core/index.js';
import type { ProtobufField, ProtobufMessage } from './protobuf-schema.js';
import { jsonFields, protobufMessageForKind } from './protobuf-schema.js';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function walkValue(value: JsonValue | undefined, field: ProtobufField, path: string, out: string[]): void {
  const type = field.type;
  if (typeof type === 'string' || type.form === 'custom' || type.form === 'wrapper') return;
  if (field.mapKey !== undefined) {
    if (!isObject(value)) return;
    for (const [key, item] of Object.entries(value)) walkMessage(item, type, `${path}.${key}`, out);
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) return;
    value.forEach((item, i) => {
      walkMessage(item, type, `${path}[${i}]`, out);
    });
    return;
  }
  walkMessage(value, type, path, out);
}

function walkMessage(value: JsonValue | undefined, message: ProtobufMessage, path: string, out: string[]): void {
  if (!isObject(value)) return;
  const fields = jsonFields(message);
  for (const key of Object.keys(value)) {
    const field = fields.get(key);
    const child = path === '' ? key : `${path}.${key}`;
    if (field === undefined) {
      if (message.form === 'kind' && path === '' && (key === 'apiVersion' || key === 'kind')) continue;
      out.push(child);
      delete value[key];
      continue;
    }
    walkValue(value[key], field, child, out);
  }
}

/**
 * Removes the keys of `object` its built-in kind's Go type does not have and returns their paths
 * in the order the decoder meets them; undefined when the kind is not a built-in (custom resources
 * are pruned by their schema instead).
 *
 * @example
 * ```ts
 * const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', colour: 'red' }, datta: {} };
 * pruneUnknownFields(cm); // ['metadata.colour', 'datta']; cm keeps apiVersion, kind and metadata.name
 * ```
 */
export function pruneUnknownFields(object: JsonObject): string[] | undefined {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const message = protobufMessageForKind(apiVersion, kind);
  if (message === undefined) return undefined;
  const out: string[] = [];
  walkMessage(object, message, '', out);
  return out;
}
