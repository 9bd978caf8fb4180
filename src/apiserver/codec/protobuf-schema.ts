/**
 * The protobuf schema table, read from its generated form (`generated/protobuf-schema.ts`, made by
 * `scripts/generate-protobuf-schema.mjs` from the upstream `generated.proto` files and Go types)
 * into linked message descriptions the codec walks. Parsed once, at first use.
 */
import {
  PROTOBUF_KINDS,
  PROTOBUF_MESSAGES,
  PROTOBUF_PACKAGES,
  PROTOBUF_SCHEMA_SOURCES,
} from './generated/protobuf-schema.js';

/** A proto scalar type as `generated.proto` names it. */
export type ProtobufScalar = 'string' | 'bool' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'double' | 'float' | 'bytes';

/** How a message's JSON form is written: by its fields, or by a special rule. */
export type MessageForm =
  /** A plain struct: JSON object of its fields. */
  | 'struct'
  /** A top-level kind (embeds TypeMeta): a struct whose JSON also carries apiVersion and kind. */
  | 'kind'
  /** A Go named slice or map wrapped in a one-field message (`Verbs`, `ExtraValue`): JSON is that field. */
  | 'wrapper'
  /** JSON written by a rule of the codec (Time, Quantity, IntOrString, RawExtension, ...). */
  | 'custom';

/** A field's value type: a scalar, a message, or (for maps) a key and value type. */
export type FieldType = ProtobufScalar | ProtobufMessage;

export interface ProtobufField {
  readonly number: number;
  /** The JSON name (Go's `json` tag), e.g. `$ref` or `x-kubernetes-list-type`. */
  readonly jsonName: string;
  readonly type: FieldType;
  /** For `map<K, V>` fields: the key type; `type` is then the value type. */
  readonly mapKey?: ProtobufScalar;
  readonly repeated: boolean;
  /** A Go pointer: absent on the wire and in JSON when nil. */
  readonly pointer: boolean;
  /** Go's `omitempty`: zero values are left out of the JSON view. */
  readonly omitEmpty: boolean;
  /** Go's `json:",inline"`: the embedded message's fields are written at this level in JSON. */
  readonly inline: boolean;
  /** Go's `json:"-"`: on the wire, never in JSON. */
  readonly hidden: boolean;
  /**
   * The Go type as `reflect` names it (outer pointer dropped), when it is a named type the proto
   * cannot tell: `v1.Protocol` for a string, `v1.ResourceList` for a map.
   */
  readonly goType?: string;
}

export interface ProtobufMessage {
  /** Fully qualified proto name, e.g. `k8s.io.api.apps.v1.Deployment`. */
  readonly name: string;
  /** The name without its package, e.g. `Deployment` (Go's type name in error texts). */
  readonly shortName: string;
  readonly form: MessageForm;
  /** Fields in Go declaration order (the order encoding/json writes them). */
  readonly fields: readonly ProtobufField[];
  readonly byNumber: ReadonlyMap<number, ProtobufField>;
}

interface Table {
  readonly messages: readonly ProtobufMessage[];
  readonly byName: ReadonlyMap<string, ProtobufMessage>;
  /** `apiVersion/kind` (e.g. `apps/v1/Deployment`, `v1/Secret`) -> message. */
  readonly kinds: ReadonlyMap<string, ProtobufMessage>;
}

let table: Table | undefined;

function load(): Table {
  const lines = PROTOBUF_MESSAGES.split('\n');
  // Two passes: create every message first so field types can point at any of them.
  type Mutable = {
    name: string;
    shortName: string;
    form: MessageForm;
    fields: ProtobufField[];
    byNumber: Map<number, ProtobufField>;
  };
  const messages: Mutable[] = lines.map((line) => {
    const head = line.slice(0, line.indexOf('|') === -1 ? line.length : line.indexOf('|')).split(' ');
    const form = (head[2] ?? 'struct') as MessageForm;
    return {
      name: `${PROTOBUF_PACKAGES[Number(head[0])]}.${head[1]}`,
      shortName: head[1],
      form,
      fields: [],
      byNumber: new Map(),
    };
  });
  const typeOf = (code: string): FieldType => {
    if (/^\d+$/.test(code)) return messages[Number(code)];
    return code as ProtobufScalar;
  };
  lines.forEach((line, index) => {
    const message = messages[index];
    for (const spec of line.split('|').slice(1)) {
      const [number, jsonName, typeCode, ...rest] = spec.split(' ');
      const flags = rest.find((t) => !t.startsWith('=')) ?? '';
      const goType = rest.find((t) => t.startsWith('='))?.slice(1);
      let type: FieldType;
      let mapKey: ProtobufScalar | undefined;
      if (typeCode.startsWith('{')) {
        const [key, value] = typeCode.slice(1, -1).split(',');
        mapKey = key as ProtobufScalar;
        type = typeOf(value);
      } else type = typeOf(typeCode);
      const field: ProtobufField = {
        number: Number(number),
        jsonName,
        type,
        ...(mapKey === undefined ? {} : { mapKey }),
        repeated: flags.includes('r'),
        pointer: flags.includes('p'),
        omitEmpty: flags.includes('o'),
        inline: flags.includes('i'),
        hidden: flags.includes('h'),
        ...(goType === undefined ? {} : { goType }),
      };
      message.fields.push(field);
      message.byNumber.set(field.number, field);
    }
  });
  const kinds = new Map<string, ProtobufMessage>();
  for (const line of PROTOBUF_KINDS.split('\n')) {
    const [apiVersion, kind, index] = line.split(' ');
    kinds.set(`${apiVersion}/${kind}`, messages[Number(index)]);
  }
  return { messages, byName: new Map(messages.map((m) => [m.name, m])), kinds };
}

function schema(): Table {
  table ??= load();
  return table;
}

/** The upstream repositories, tags and commits the table was generated from. */
export const protobufSchemaSources: readonly string[] = PROTOBUF_SCHEMA_SOURCES;

/** A message by its fully qualified proto name, e.g. `k8s.io.apimachinery.pkg.apis.meta.v1.Status`. */
export function protobufMessage(name: string): ProtobufMessage | undefined {
  return schema().byName.get(name);
}

/**
 * The `meta.k8s.io/v1` kinds the API server registers in every group-version (the options
 * kinds, `AddToGroupVersion`) or as unversioned `v1` (Status and the discovery kinds), so a
 * body naming them with any apiVersion decodes as the meta kind.
 */
const META_EVERYWHERE = new Set([
  'DeleteOptions',
  'CreateOptions',
  'UpdateOptions',
  'PatchOptions',
  'GetOptions',
  'ListOptions',
  'Status',
  'APIVersions',
  'APIGroupList',
  'APIGroup',
  'APIResourceList',
]);

/**
 * The message of a top-level kind, e.g. (`apps/v1`, `Deployment`). The meta kinds
 * (`DeleteOptions`, `Status`, ...) are found under any apiVersion, as the API server's scheme
 * registers them. Undefined for kinds without a protobuf form (custom resources, `Table`).
 */
export function protobufMessageForKind(apiVersion: string, kind: string): ProtobufMessage | undefined {
  const kinds = schema().kinds;
  return (
    kinds.get(`${apiVersion}/${kind}`) ?? (META_EVERYWHERE.has(kind) ? kinds.get(`meta.k8s.io/v1/${kind}`) : undefined)
  );
}

/** Every top-level kind in the table, as `{ apiVersion, kind, message }`. */
export function protobufKinds(): { apiVersion: string; kind: string; message: ProtobufMessage }[] {
  return [...schema().kinds].map(([key, message]) => {
    const slash = key.lastIndexOf('/');
    return { apiVersion: key.slice(0, slash), kind: key.slice(slash + 1), message };
  });
}

/** Every message in the table. */
export function protobufMessages(): readonly ProtobufMessage[] {
  return schema().messages;
}

const jsonFieldsCache = new WeakMap<ProtobufMessage, Map<string, ProtobufField>>();

/**
 * The fields a message's JSON object may hold, by JSON name: inline embeddings flattened (their
 * fields belong to the outer struct, as Go's JSON encoder writes them), hidden fields left out.
 */
export function jsonFields(message: ProtobufMessage): ReadonlyMap<string, ProtobufField> {
  let names = jsonFieldsCache.get(message);
  if (names) return names;
  names = new Map();
  for (const field of message.fields) {
    if (field.hidden) continue;
    if (field.inline && typeof field.type !== 'string') {
      for (const [name, inner] of jsonFields(field.type)) names.set(name, inner);
    } else names.set(field.jsonName, field);
  }
  jsonFieldsCache.set(message, names);
  return names;
}
