/**
 * The OpenAPI v2 document in protobuf (`application/com.github.proto-openapi.spec.v2.v1.0+protobuf`),
 * the form kubectl asks `/openapi/v2` for: gnostic's `openapi.v2.Document`
 * (github.com/google/gnostic-models `openapiv2/OpenAPIv2.proto`; kube-openapi's handler turns the
 * JSON into it with gnostic's `ParseDocument`).
 *
 * Written: `swagger`, `info` and every definition, with all the schema keywords of the proto
 * (`$ref`, types, properties, items, additionalProperties, allOf, required, enum, defaults,
 * bounds, ...) and vendor extensions (`x-kubernetes-group-version-kind`, patch strategies, ...)
 * as gnostic stores them: an `Any` holding the value's YAML. That is what kubectl reads of v2
 * (`kube-openapi/pkg/util/proto` models for `explain --output plaintext-openapiv2` and for
 * client-side validation). Not written: `paths` (kubectl reads the fieldValidation parameter from
 * v3), security definitions and tags.
 *
 * proto3 rules: scalars at their zero value are left out; a `oneof` member is written even when
 * zero (`additionalProperties: false`).
 */
import { dump } from 'js-yaml';
import { WIRE_BYTES, WIRE_FIXED64, WIRE_VARINT, WireWriter } from '../../codec/protobuf-wire.js';
import type { OpenApiObject, OpenApiValue } from './openapi-data.js';
import type { OpenApiV2Document } from './openapi-v2.js';

function isObject(v: OpenApiValue | undefined): v is OpenApiObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function writeString(w: WireWriter, field: number, value: OpenApiValue | undefined): void {
  if (typeof value !== 'string' || value === '') return;
  w.tag(field, WIRE_BYTES);
  w.string(value);
}

function writeBool(w: WireWriter, field: number, value: OpenApiValue | undefined): void {
  if (value !== true) return;
  w.tag(field, WIRE_VARINT);
  w.bool(true);
}

function writeDouble(w: WireWriter, field: number, value: OpenApiValue | undefined): void {
  if (typeof value !== 'number' || value === 0) return;
  w.tag(field, WIRE_FIXED64);
  w.double(value);
}

function writeInt64(w: WireWriter, field: number, value: OpenApiValue | undefined): void {
  if (typeof value !== 'number' || value === 0 || !Number.isInteger(value)) return;
  w.tag(field, WIRE_VARINT);
  w.int64(value);
}

/** A nested message: tag, then the fields `write` writes. */
function message(w: WireWriter, field: number, write: () => void): void {
  w.tag(field, WIRE_BYTES);
  const start = w.beginMessage();
  write();
  w.endMessage(start);
}

/** gnostic's `Any`: the value as YAML (`yaml = 2`). */
function writeAny(w: WireWriter, field: number, value: OpenApiValue): void {
  message(w, field, () => writeString(w, 2, dump(value, { lineWidth: -1, noArrayIndent: true })));
}

/** `NamedAny` entries of the `x-` keys of an object. */
function writeExtensions(w: WireWriter, field: number, object: OpenApiObject): void {
  for (const [name, value] of Object.entries(object)) {
    if (!name.startsWith('x-')) continue;
    message(w, field, () => {
      writeString(w, 1, name);
      writeAny(w, 2, value);
    });
  }
}

/** `openapi.v2.Schema`. */
function writeSchema(w: WireWriter, schema: OpenApiObject): void {
  writeString(w, 1, schema.$ref);
  writeString(w, 2, schema.format);
  writeString(w, 3, schema.title);
  writeString(w, 4, schema.description);
  if (schema.default !== undefined) writeAny(w, 5, schema.default);
  writeDouble(w, 6, schema.multipleOf);
  writeDouble(w, 7, schema.maximum);
  writeBool(w, 8, schema.exclusiveMaximum);
  writeDouble(w, 9, schema.minimum);
  writeBool(w, 10, schema.exclusiveMinimum);
  writeInt64(w, 11, schema.maxLength);
  writeInt64(w, 12, schema.minLength);
  writeString(w, 13, schema.pattern);
  writeInt64(w, 14, schema.maxItems);
  writeInt64(w, 15, schema.minItems);
  writeBool(w, 16, schema.uniqueItems);
  writeInt64(w, 17, schema.maxProperties);
  writeInt64(w, 18, schema.minProperties);
  if (Array.isArray(schema.required)) for (const name of schema.required) writeString(w, 19, name);
  if (Array.isArray(schema.enum)) for (const value of schema.enum) writeAny(w, 20, value);
  const additional = schema.additionalProperties;
  if (isObject(additional)) message(w, 21, () => message(w, 1, () => writeSchema(w, additional)));
  else if (typeof additional === 'boolean') {
    // A oneof member: written even when false.
    message(w, 21, () => {
      w.tag(2, WIRE_VARINT);
      w.bool(additional);
    });
  }
  const type = schema.type;
  if (typeof type === 'string' || Array.isArray(type)) {
    message(w, 22, () => {
      for (const t of Array.isArray(type) ? type : [type]) writeString(w, 1, t);
    });
  }
  const items = schema.items;
  if (isObject(items) || Array.isArray(items)) {
    message(w, 23, () => {
      for (const item of Array.isArray(items) ? items : [items]) {
        if (isObject(item)) message(w, 1, () => writeSchema(w, item));
      }
    });
  }
  if (Array.isArray(schema.allOf)) {
    for (const sub of schema.allOf) if (isObject(sub)) message(w, 24, () => writeSchema(w, sub));
  }
  const properties = schema.properties;
  if (isObject(properties)) {
    message(w, 25, () => {
      for (const [name, property] of Object.entries(properties)) {
        if (!isObject(property)) continue;
        message(w, 1, () => {
          writeString(w, 1, name);
          message(w, 2, () => writeSchema(w, property));
        });
      }
    });
  }
  writeString(w, 26, schema.discriminator);
  writeBool(w, 27, schema.readOnly);
  const docs = schema.externalDocs;
  if (isObject(docs)) {
    message(w, 29, () => {
      writeString(w, 1, docs.description);
      writeString(w, 2, docs.url);
    });
  }
  if (schema.example !== undefined) writeAny(w, 30, schema.example);
  writeExtensions(w, 31, schema);
}

/**
 * The protobuf form of a v2 document (see the module comment for what it holds).
 *
 * @example
 * ```ts
 * declare const v2: Parameters<typeof encodeOpenApiV2Protobuf>[0]; // from buildOpenApiV2
 * const bytes = encodeOpenApiV2Protobuf(v2);
 * bytes[0]; // 0x0a: field 1 (swagger), length-delimited
 * ```
 */
export function encodeOpenApiV2Protobuf(document: OpenApiV2Document): Buffer {
  const w = new WireWriter(1 << 20);
  writeString(w, 1, document.swagger);
  const info = document.info;
  message(w, 2, () => {
    writeString(w, 1, info.title);
    writeString(w, 2, info.version);
    writeString(w, 3, info.description);
    writeExtensions(w, 7, info);
  });
  message(w, 9, () => {
    for (const [name, schema] of Object.entries(document.definitions)) {
      message(w, 1, () => {
        writeString(w, 1, name);
        message(w, 2, () => writeSchema(w, schema));
      });
    }
  });
  return w.finish();
}
