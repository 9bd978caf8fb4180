#!/usr/bin/env node
// Generates src/apiserver/codec/generated/protobuf-schema.ts: the protobuf schema table the
// emulator's codec is driven by, for every message of k8s.io/api (every group-version, served
// or not), k8s.io/apimachinery (meta/v1, meta/v1beta1, runtime, runtime/schema, intstr,
// resource) and k8s.io/apiextensions-apiserver (apiextensions v1 and v1beta1).
//
// Two upstream sources per package, each for what only it says:
// - `generated.proto`: the wire facts (field numbers, scalar kinds, repeated, maps, message
//   references). The Go marshallers follow these.
// - the Go types (`types.go` and siblings): what the JSON view of a decoded object needs, which
//   the proto cannot say because go-to-protobuf writes every field as `optional`: whether the Go
//   field is a pointer (pointers are omitted when nil; non-pointer scalars, strings and structs
//   are always written), the JSON name (`$ref`, `x-kubernetes-...` differ from the proto names),
//   `omitempty`, `json:",inline"` (embedded structs whose fields JSON flattens, e.g.
//   `Volume.VolumeSource`) and `json:"-"`. The `// +optional` comments are not used: they say
//   what validation requires, not how encoding/json writes a field (e.g. `PolicyRule.verbs` is
//   required and written as `null` when nil; `Secret.type` is optional yet not omitempty).
//   Field numbers are cross-checked between the two sources.
//
// Usage:
//   node scripts/generate-protobuf-schema.mjs --api DIR --apimachinery DIR --apiextensions DIR [--out FILE]
// where each DIR is a checkout of github.com/kubernetes/{api,apimachinery,apiextensions-apiserver}
// at the same release tag (the tag and commit are read with git and written into the output).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    api: { type: 'string' },
    apimachinery: { type: 'string' },
    apiextensions: { type: 'string' },
    out: { type: 'string', default: 'src/apiserver/codec/generated/protobuf-schema.ts' },
  },
  strict: true,
});
for (const name of ['api', 'apimachinery', 'apiextensions']) {
  if (!args[name]) throw new Error(`--${name} DIR is required (a checkout of the upstream repository)`);
}

/** The packages read, as [checkout, directory inside it]. */
function packageDirs() {
  const dirs = [];
  for (const group of readdirSync(args.api, { withFileTypes: true })) {
    if (!group.isDirectory() || group.name.startsWith('.')) continue;
    for (const version of readdirSync(join(args.api, group.name), { withFileTypes: true })) {
      if (version.isDirectory() && existsSync(join(args.api, group.name, version.name, 'generated.proto')))
        dirs.push([args.api, join(group.name, version.name)]);
    }
  }
  for (const dir of [
    'pkg/apis/meta/v1',
    'pkg/apis/meta/v1beta1',
    'pkg/runtime',
    'pkg/runtime/schema',
    'pkg/util/intstr',
    'pkg/api/resource',
  ])
    dirs.push([args.apimachinery, dir]);
  for (const dir of ['pkg/apis/apiextensions/v1', 'pkg/apis/apiextensions/v1beta1'])
    dirs.push([args.apiextensions, dir]);
  return dirs.sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
}

function gitInfo(dir) {
  const git = (...a) => execFileSync('git', ['-C', dir, ...a], { encoding: 'utf8' }).trim();
  // Several release tags can name one commit (apimachinery often does not change between
  // patch releases): name the newest v-tag.
  const tags = git('tag', '--points-at', 'HEAD', '--sort=-v:refname')
    .split('\n')
    .filter((t) => t.startsWith('v'));
  return { commit: git('rev-parse', 'HEAD'), tag: tags[0] ?? '(no release tag)' };
}

// ---- generated.proto ------------------------------------------------------------------------

const SCALARS = new Set(['string', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float', 'bytes']);

/** Parses the proto2 subset go-to-protobuf writes; any other line is an error, never skipped. */
function parseProto(text, file) {
  const lines = text.replace(/\/\*[\s\S]*?\*\//g, '').split('\n');
  let pkg;
  const messages = [];
  let current;
  let comments = [];
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    const where = `${file}:${index + 1}`;
    if (line === '' || line.startsWith('syntax ') || line.startsWith('import ') || line.startsWith('option ')) {
      if (line === '') comments = [];
      continue;
    }
    if (line.startsWith('//')) {
      comments.push(line.slice(2).trim());
      continue;
    }
    let m;
    if ((m = /^package ([\w.]+);$/.exec(line))) pkg = m[1];
    else if ((m = /^message (\w+) \{$/.exec(line))) {
      if (current) throw new Error(`${where}: nested message`);
      current = { name: m[1], fields: [], comments };
    } else if (line === '}') {
      if (!current) throw new Error(`${where}: unbalanced }`);
      messages.push(current);
      current = undefined;
    } else if ((m = /^(optional|repeated|required) ([\w.]+) (\w+) = (\d+);$/.exec(line))) {
      if (!current) throw new Error(`${where}: field outside a message`);
      current.fields.push({ label: m[1], type: m[2], name: m[3], number: Number(m[4]) });
    } else if ((m = /^map<(\w+), ([\w.]+)> (\w+) = (\d+);$/.exec(line))) {
      if (!current) throw new Error(`${where}: field outside a message`);
      current.fields.push({ label: 'map', key: m[1], type: m[2], name: m[3], number: Number(m[4]) });
    } else throw new Error(`${where}: unrecognised line: ${line}`);
    if (!line.startsWith('//')) comments = [];
  }
  if (!pkg) throw new Error(`${file}: no package`);
  return { pkg, messages };
}

// ---- Go types -------------------------------------------------------------------------------

/** Go type declarations of a package: structs (with their fields) and other named types. */
function parseGoTypes(dir) {
  const structs = new Map();
  const named = new Map();
  for (const file of readdirSync(dir)) {
    if (
      !file.endsWith('.go') ||
      file.endsWith('_test.go') ||
      file.startsWith('zz_generated') ||
      file === 'generated.pb.go'
    )
      continue;
    const text = readFileSync(join(dir, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    const imports = new Map();
    for (const match of text.matchAll(/^\s*(\w+\s+)?"([\w./-]+)"$/gm)) {
      imports.set(match[1]?.trim() ?? match[2].split('/').pop(), match[2]);
    }
    for (const match of text.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)) {
      const fields = parseStructBody(match[2], `${dir}/${file} ${match[1]}`);
      for (const f of fields) f.imports = imports;
      structs.set(match[1], fields);
    }
    for (const match of text.matchAll(/^type (\w+) struct\{\}/gm)) structs.set(match[1], []);
    for (const match of text.matchAll(/^type (\w+) ([^\s{][^\n]*)$/gm)) {
      if (match[2].startsWith('struct')) continue;
      const target = /^(?:= )?(\w+)\.(\w+)$/.exec(match[2].trim());
      // `type MatchCondition v1.MatchCondition`: the same struct, declared in another package.
      if (target && imports.has(target[1]))
        named.set(match[1], { importPath: imports.get(target[1]), name: target[2] });
      else named.set(match[1], match[2].trim());
    }
  }
  return { structs, named };
}

function parseStructBody(body, where) {
  const fields = [];
  for (const raw of body.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (line === '') continue;
    const tagMatch = /`([^`]*)`$/.exec(line);
    const tags = tagMatch ? tagMatch[1] : '';
    const decl = (tagMatch ? line.slice(0, tagMatch.index) : line).trim().split(/\s+/);
    if (decl.length > 2) {
      // Only fields with a protobuf tag matter; Go's `a, b int32` form never carries one.
      if (tags.includes('protobuf:')) throw new Error(`${where}: cannot read field "${line}"`);
      continue;
    }
    const embedded = decl.length === 1;
    const goType = embedded ? decl[0] : decl[1];
    const goName = embedded ? goType.replace(/^\*/, '').replace(/^.*\./, '') : decl[0];
    const json = /json:"([^"]*)"/.exec(tags)?.[1];
    const proto = /protobuf:"([^"]*)"/.exec(tags)?.[1];
    fields.push({ goName, goType, embedded, json, proto });
  }
  return fields;
}

// ---- the table ------------------------------------------------------------------------------

/**
 * Messages whose JSON form the codec writes by hand (custom MarshalJSON in Go), so their Go
 * struct is not read for fields.
 */
const CUSTOM_JSON = new Set([
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time',
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  'k8s.io.apimachinery.pkg.api.resource.Quantity',
  'k8s.io.apimachinery.pkg.api.resource.QuantityValue',
  'k8s.io.apimachinery.pkg.runtime.RawExtension',
  'k8s.io.apimachinery.pkg.runtime.Unknown',
  'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSON',
  'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray',
  'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool',
  'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray',
  'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1beta1.JSON',
  'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1beta1.JSONSchemaPropsOrArray',
  'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1beta1.JSONSchemaPropsOrBool',
  'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1beta1.JSONSchemaPropsOrStringArray',
]);

/** The API group of a package: `GroupName` in its Go source (register.go), as the scheme registers it. */
function groupOf(checkout, dir) {
  for (const file of readdirSync(join(checkout, dir))) {
    if (!file.endsWith('.go') || file.endsWith('_test.go')) continue;
    const m = /\bGroupName\s*=\s*"([^"]*)"/.exec(readFileSync(join(checkout, dir, file), 'utf8'));
    if (m) return m[1];
  }
  return undefined;
}

const packages = [];
const byName = new Map();
/** Go import path -> parsed Go types, to follow `type X otherpkg.Y`. */
const goByImportPath = new Map();
const IMPORT_ROOTS = new Map([
  [args.api, 'k8s.io/api'],
  [args.apimachinery, 'k8s.io/apimachinery'],
  [args.apiextensions, 'k8s.io/apiextensions-apiserver'],
]);
for (const [checkout, dir] of packageDirs()) {
  const protoFile = join(checkout, dir, 'generated.proto');
  const { pkg, messages } = parseProto(readFileSync(protoFile, 'utf8'), relative(checkout, protoFile));
  const go = parseGoTypes(join(checkout, dir));
  const group = groupOf(checkout, dir);
  const version = dir.split('/').pop();
  packages.push({ pkg, group, version, messages, go, source: `${checkout}:${dir}` });
  goByImportPath.set(`${IMPORT_ROOTS.get(checkout)}/${dir}`, go);
  for (const message of messages) byName.set(`${pkg}.${message.name}`, { pkg, message });
}

function resolveType(type, pkg) {
  if (SCALARS.has(type)) return type;
  const full = type.startsWith('.') ? type.slice(1) : `${pkg}.${type}`;
  if (!byName.has(full)) throw new Error(`${pkg}: unknown message type ${type}`);
  return full;
}

const SCALAR_GO = {
  string: 'string',
  bool: 'bool',
  int32: 'int32',
  int64: 'int64',
  uint32: 'uint32',
  uint64: 'uint64',
  double: 'float64',
  float: 'float32',
  bytes: '[]uint8',
};

/** The Go package name of a proto package (`k8s.io.api.core.v1` -> `v1`). */
const goPackageOf = (protoPkg) => protoPkg.slice(protoPkg.lastIndexOf('.') + 1);

/** The Go type the codec derives for a field from the proto alone (see codec/go-json-types.ts). */
function derivedGoType(field, pkg) {
  const one = (t) => {
    const full = resolveType(t, pkg);
    if (SCALARS.has(full)) return SCALAR_GO[full];
    const dot = full.lastIndexOf('.');
    return `${goPackageOf(full.slice(0, dot))}.${full.slice(dot + 1)}`;
  };
  if (field.label === 'map') return `map[${one(field.key)}]${one(field.type)}`;
  return field.label === 'repeated' ? `[]${one(field.type)}` : one(field.type);
}

/**
 * Go's `reflect.Type.String()` of a field's type as the source writes it, the outer pointer
 * dropped (the JSON decoder reports the pointed-to type): `v1.Protocol`, `[]v1.Container`.
 */
function reflectGoType(expr, goPkg, imports, named) {
  return expr
    .replace(/^\*/, '')
    .replace(/\bbyte\b/g, 'uint8')
    .replace(/\binterface\{\}/g, 'interface {}')
    .replace(/\b([A-Za-z_]\w*)\.([A-Z]\w*)|\b([A-Z]\w*)\b/g, (_m, alias, name, local) => {
      if (alias) return `${(imports?.get(alias) ?? alias).split('/').pop()}.${name}`;
      // `type X = otherpkg.X` is an alias: reflect names the aliased type.
      const target = named.get(local);
      if (typeof target === 'object') return `${target.importPath.split('/').pop()}.${target.name}`;
      return `${goPkg}.${local}`;
    });
}

const table = []; // [fullName, kindFlags, fields]
const kinds = []; // [apiVersion, kind, fullName]
const problems = [];
let fieldCount = 0;
for (const { pkg, group, version, messages, go } of packages) {
  for (const message of messages) {
    const full = `${pkg}.${message.name}`;
    let goStruct = go.structs.get(message.name);
    let goNamed = go.named.get(message.name);
    if (typeof goNamed === 'object') {
      const target = goByImportPath.get(goNamed.importPath);
      goStruct = target?.structs.get(goNamed.name);
      goNamed = target?.named.get(goNamed.name);
    }
    let form = '';
    let goFields = new Map();
    if (CUSTOM_JSON.has(full)) form = 'custom';
    else if (goStruct) {
      for (const f of goStruct) {
        if (!f.proto || f.proto === '-') continue;
        const number = Number(f.proto.split(',')[1]);
        if (!Number.isInteger(number)) problems.push(`${full}.${f.goName}: bad protobuf tag ${f.proto}`);
        goFields.set(number, f);
      }
      if (goStruct.some((f) => f.embedded && /(^|\.)TypeMeta$/.test(f.goType) && f.json === ',inline')) form = 'kind';
    } else if (goNamed && (goNamed.startsWith('[]') || goNamed.startsWith('map['))) {
      // A named slice or map (`type Verbs []string`): the proto wraps it in a message with one
      // field; JSON writes the slice or map itself.
      if (message.fields.length !== 1) problems.push(`${full}: wrapper with ${message.fields.length} fields`);
      form = 'wrapper';
      goFields = new Map([[message.fields[0].number, { goName: 'items', goType: goNamed, json: 'items' }]]);
    } else problems.push(`${full}: no Go type found`);

    const fields = [];
    for (const field of message.fields) {
      const goField = goFields.get(field.number);
      if (form !== 'custom' && !goField) {
        problems.push(`${full}.${field.name} (${field.number}): no Go field with this protobuf number`);
        continue;
      }
      if (goField && form !== 'wrapper') {
        const tagName = /name=(\w+)/.exec(goField.proto)?.[1];
        if (tagName !== undefined && tagName !== field.name)
          problems.push(`${full}.${field.name}: Go tag names ${tagName}`);
      }
      const jsonTag = goField?.json;
      const jsonOpts = jsonTag === undefined ? [] : jsonTag.split(',');
      let jsonName = jsonOpts[0] || (goField?.embedded ? goField.goName : field.name);
      if (goField && jsonTag === undefined) jsonName = goField.goName; // encoding/json uses the Go name
      let flags = '';
      if (field.label === 'repeated') flags += 'r';
      if (goField?.goType.startsWith('*')) flags += 'p';
      if (jsonOpts.includes('omitempty')) flags += 'o';
      if (jsonOpts.includes('inline')) flags += 'i';
      if (jsonTag === '-') flags += 'h';
      const type =
        field.label === 'map'
          ? `map<${resolveType(field.key, pkg)},${resolveType(field.type, pkg)}>`
          : resolveType(field.type, pkg);
      // The Go type, when it is a named type the proto cannot tell (`Protocol`, `ResourceList`).
      let goType = '';
      if (goField && form !== 'wrapper') {
        const reflected = reflectGoType(goField.goType, goPackageOf(pkg), goField.imports, go.named);
        if (reflected !== derivedGoType(field, pkg)) goType = reflected;
      }
      fields.push([field.number, jsonName, type, flags, goType]);
      fieldCount++;
    }
    if (form === 'kind' && group !== undefined) {
      const apiVersion = group === '' ? version : `${group}/${version}`;
      kinds.push([apiVersion, message.name, full]);
    }
    table.push([full, form, fields]);
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  throw new Error(`${problems.length} problems reading the sources`);
}

// ---- output ---------------------------------------------------------------------------------

// Message references become indexes into the table; package names are written once.
const indexOf = new Map(table.map(([name], i) => [name, i]));
const pkgNames = [...new Set(table.map(([name]) => name.slice(0, name.lastIndexOf('.'))))];
const pkgIndex = new Map(pkgNames.map((p, i) => [p, i]));
const ref = (type) => (SCALARS.has(type) ? type : String(indexOf.get(type)));
const lines = table.map(([full, form, fields]) => {
  const pkg = full.slice(0, full.lastIndexOf('.'));
  const head = `${pkgIndex.get(pkg)} ${full.slice(pkg.length + 1)}${form ? ` ${form}` : ''}`;
  const body = fields.map(([number, json, type, flags, goType]) => {
    const t = type.startsWith('map<')
      ? `{${type
          .slice(4, -1)
          .split(',')
          .map((x) => ref(x))
          .join(',')}}`
      : ref(type);
    return `${number} ${json} ${t}${flags ? ` ${flags}` : ''}${goType ? ` =${goType}` : ''}`;
  });
  return [head, ...body].join('|');
});

const sources = {
  'kubernetes/api': gitInfo(args.api),
  'kubernetes/apimachinery': gitInfo(args.apimachinery),
  'kubernetes/apiextensions-apiserver': gitInfo(args.apiextensions),
};
const sourceLines = Object.entries(sources).map(
  ([repo, { tag, commit }]) => `//   github.com/${repo} ${tag} (${commit})`,
);
const text = `// Generated by scripts/generate-protobuf-schema.mjs; do not edit. Regenerate with:
//   node scripts/generate-protobuf-schema.mjs --api DIR --apimachinery DIR --apiextensions DIR
// Sources (each package's generated.proto for the wire, its Go types for the JSON view):
${sourceLines.join('\n')}
// Packages: every group-version of k8s.io/api; apimachinery pkg/apis/meta/v1, meta/v1beta1,
// runtime, runtime/schema, util/intstr, api/resource; apiextensions v1 and v1beta1.
// ${table.length} messages, ${fieldCount} fields, ${kinds.length} kinds.
//
// Format (read by ../protobuf-schema.ts): one line per message, "|"-separated:
//   "<package index> <Name>[ <form>]" then one "<number> <jsonName> <type>[ <flags>][ =<type>]" per field.
//   form: kind (embeds TypeMeta: a top-level object), wrapper (a Go named slice or map the proto
//   wraps in a message), custom (JSON written by the codec: Time, Quantity, RawExtension, ...).
//   type: a proto scalar, the index of a message line, or {key,value} for a map.
//   flags: r repeated, p Go pointer (omitted when nil), o omitempty, i json inline, h json "-".
//   =<type>: the Go type (reflect's name, outer pointer dropped) where it is a named type the
//   proto does not tell, e.g. =v1.Protocol, =v1.ResourceList.

/** Upstream repositories and commits this table was generated from. */
export const PROTOBUF_SCHEMA_SOURCES: readonly string[] = ${JSON.stringify(
  Object.entries(sources).map(([repo, { tag, commit }]) => `github.com/${repo}@${tag} (${commit})`),
)};

/** Proto package names, indexed by the first number of a message line. */
export const PROTOBUF_PACKAGES: readonly string[] = ${JSON.stringify(pkgNames)};

/** \`apiVersion kind message-index\` for every top-level kind. */
export const PROTOBUF_KINDS: string = ${JSON.stringify(kinds.map(([v, k, full]) => `${v} ${k} ${indexOf.get(full)}`).join('\n'))};

/** One line per message (see the format above). */
export const PROTOBUF_MESSAGES: string = ${JSON.stringify(lines.join('\n'))};
`;
writeFileSync(args.out, text);
// Formatted as the repository formats TypeScript, so a regeneration diffs only in data.
execFileSync('npx', ['biome', 'format', '--write', args.out], { stdio: 'ignore' });
console.log(
  `${args.out}: ${table.length} messages, ${fieldCount} fields, ${kinds.length} kinds, ${Buffer.byteLength(text)} bytes`,
);
