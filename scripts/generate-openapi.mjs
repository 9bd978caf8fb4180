#!/usr/bin/env node
// Generates src/apiserver/discovery/generated/openapi-data.ts: the built-in OpenAPI data the
// emulator's /openapi/v3 and /openapi/v2 documents are built from, trimmed to what clients read
// (kubectl explain's v3 renderer, kubectl's client-side validation, client-go's openapi client)
// and compressed.
//
// Sources, both copies of kubernetes/kubernetes' api/openapi-spec at release-1.33 (the
// kubernetes/kubernetes snapshot itself is too large to fetch here):
// - the OpenAPI v3 documents, one per group-version (`api/v1.json`, `apis/apps/v1.json`, ... as
//   kubernetes-sigs/kubectl-validate keeps them in pkg/openapiclient/builtins/1.33, downloaded
//   verbatim from kubernetes/kubernetes release-1.33 api/openapi-spec/v3/*_openapi.json; the
//   upstream file names `apis__apps__v1_openapi.json` are read as well);
// - the OpenAPI v2 document (`api/openapi-spec/swagger.json`, as kubernetes-client/python keeps
//   it in kubernetes/swagger.json.unprocessed at v33.1.0, branch release-1.33).
//
// What is kept: every component schema (descriptions, types, formats, enums, defaults and the
// x-kubernetes-* extensions, x-kubernetes-group-version-kind included), stored once although
// each group-version document repeats the meta schemas; per group-version, the names of its
// component schemas and its paths, with every parameter stored once in a shared table and each
// response reduced to its description, schema reference and media types. The v2 definitions are
// not stored: they are the v3 schemas rewritten (single-$ref allOf back to $ref, no defaults,
// Quantity and IntOrString as strings), which this script checks for every definition before
// writing anything.
//
// Usage:
//   node scripts/generate-openapi.mjs --v3-repo DIR [--v3-path pkg/openapiclient/builtins/1.33]
//     --v2-repo DIR [--v2-path kubernetes/swagger.json.unprocessed] [--out FILE]
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, constants } from 'node:zlib';

const { values: args } = parseArgs({
  options: {
    'v3-repo': { type: 'string' },
    'v3-path': { type: 'string', default: 'pkg/openapiclient/builtins/1.33' },
    'v2-repo': { type: 'string' },
    'v2-path': { type: 'string', default: 'kubernetes/swagger.json.unprocessed' },
    out: { type: 'string', default: 'src/apiserver/discovery/generated/openapi-data.ts' },
  },
  strict: true,
});
if (!args['v3-repo'] || !args['v2-repo']) throw new Error('--v3-repo DIR and --v2-repo DIR are required');

function gitInfo(dir) {
  const git = (...a) => execFileSync('git', ['-C', dir, ...a], { encoding: 'utf8' }).trim();
  const remote = git('config', '--get', 'remote.origin.url')
    .replace(/^https?:\/\//, '')
    .replace(/^git@github\.com:/, 'github.com/')
    .replace(/\.git$/, '');
  const tags = git('tag', '--points-at', 'HEAD', '--sort=-v:refname').split('\n').filter(Boolean);
  return { remote, commit: git('rev-parse', 'HEAD'), tag: tags[0] };
}

// ---- read the v3 documents ------------------------------------------------------------------

/** `api/v1`, `apis/apps/v1`, ... -> document. */
function readV3(dir) {
  const docs = new Map();
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.json')) {
        let gv = relative(dir, path).slice(0, -'.json'.length);
        // Upstream names: apis__apps__v1_openapi.json; group documents (apis__apps_openapi.json) are skipped.
        if (gv.endsWith('_openapi')) gv = gv.slice(0, -'_openapi'.length).split('__').join('/');
        if (/^(api\/v\d\w*|apis\/[^/]+\/v\d\w*)$/.test(gv)) docs.set(gv, JSON.parse(readFileSync(path, 'utf8')));
      }
    }
  };
  walk(dir);
  return new Map([...docs].sort(([a], [b]) => (a < b ? -1 : 1)));
}

const v3Dir = join(args['v3-repo'], args['v3-path']);
const v2File = join(args['v2-repo'], args['v2-path']);
const v3 = readV3(v3Dir);
const swagger = JSON.parse(readFileSync(v2File, 'utf8'));
if (v3.size === 0) throw new Error(`no v3 documents under ${v3Dir}`);

// ---- component schemas, once ----------------------------------------------------------------

const schemas = {};
for (const [gv, doc] of v3) {
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
    if (name in schemas && JSON.stringify(schemas[name]) !== JSON.stringify(schema)) {
      throw new Error(`${gv}: schema ${name} differs from another document's`);
    }
    schemas[name] = schema;
  }
}

/** The v2 definition upstream derives from a v3 schema (see the header). */
function toV2(schema, isSchema = true) {
  if (Array.isArray(schema)) return schema.map((s) => toV2(s, isSchema));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out = {};
  const allOf = schema.allOf;
  const single = isSchema && Array.isArray(allOf) && allOf.length === 1 && typeof allOf[0].$ref === 'string';
  if (isSchema && Array.isArray(schema.oneOf) && !('type' in schema)) {
    // Quantity and IntOrString: v3 says string-or-number / string-or-integer, v2 "string".
    for (const [k, v] of Object.entries(schema)) if (k !== 'oneOf' && k !== 'default') out[k] = v;
    out.type = 'string';
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  for (const [k, v] of Object.entries(schema)) {
    if (isSchema && k === 'default') continue;
    if (isSchema && k === 'allOf' && single) {
      out.$ref = allOf[0].$ref.replace('#/components/schemas/', '#/definitions/');
      continue;
    }
    if (isSchema && k === '$ref' && typeof v === 'string')
      out.$ref = v.replace('#/components/schemas/', '#/definitions/');
    else if (isSchema && (k === 'properties' || k === 'patternProperties'))
      out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, toV2(s)]));
    else if (isSchema && (k === 'items' || k === 'additionalProperties' || k === 'not')) out[k] = toV2(v);
    else if (isSchema && (k === 'allOf' || k === 'oneOf' || k === 'anyOf')) out[k] = toV2(v);
    else out[k] = v; // enum values, extensions, examples: data, not schemas
  }
  return out;
}

function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical(value[k])]),
  );
}

// The check that lets the v2 definitions go unstored.
const v2Problems = [];
for (const [name, schema] of Object.entries(schemas)) {
  const expected = swagger.definitions[name];
  if (!expected) v2Problems.push(`${name}: not in swagger.json`);
  else if (JSON.stringify(canonical(toV2(schema))) !== JSON.stringify(canonical(expected)))
    v2Problems.push(`${name}: v2 definition is not the rewritten v3 schema`);
}
// Definitions only the group and version documents use (APIGroup, APIVersions, version.Info):
// stored in v3 form, written back to v2 by the same rule.
for (const [name, definition] of Object.entries(swagger.definitions)) {
  if (name in schemas) continue;
  const v3Form = JSON.parse(
    JSON.stringify(definition, (k, v) =>
      k === '$ref' && typeof v === 'string' ? v.replace('#/definitions/', '#/components/schemas/') : v,
    ),
  );
  if (JSON.stringify(canonical(toV2(v3Form))) !== JSON.stringify(canonical(definition)))
    v2Problems.push(`${name}: v2-only definition does not survive the rewrite`);
  schemas[name] = v3Form;
}
if (v2Problems.length > 0) throw new Error(`v2 definitions are not derivable:\n${v2Problems.join('\n')}`);

// ---- paths, with shared parameters ----------------------------------------------------------

const parameterIndex = new Map();
const parameters = [];
function parameterRef(parameter) {
  const key = JSON.stringify(parameter);
  let index = parameterIndex.get(key);
  if (index === undefined) {
    index = parameters.length;
    parameters.push(parameter);
    parameterIndex.set(key, index);
  }
  return index;
}

const mediaTypeIndex = new Map();
const mediaTypeLists = [];
function mediaTypesRef(list) {
  const key = list.join(',');
  let index = mediaTypeIndex.get(key);
  if (index === undefined) {
    index = mediaTypeLists.length;
    mediaTypeLists.push(list);
    mediaTypeIndex.set(key, index);
  }
  return index;
}

/**
 * An operation, trimmed: parameters by index; each response as [description, schema $ref or
 * schema, media-type list index] (every media type of a response carries the same schema).
 */
function trimOperation(op, where) {
  const out = {};
  for (const [k, v] of Object.entries(op)) {
    if (k === 'parameters') out.parameters = v.map(parameterRef);
    else if (k === 'responses') {
      out.responses = {};
      for (const [code, response] of Object.entries(v)) {
        const content = response.content ?? {};
        const types = Object.keys(content);
        const schemasOf = new Set(types.map((t) => JSON.stringify(content[t].schema)));
        if (schemasOf.size > 1) throw new Error(`${where} ${code}: media types with different schemas`);
        out.responses[code] =
          types.length === 0
            ? [response.description]
            : [response.description, content[types[0]].schema, mediaTypesRef(types)];
        if (Object.keys(response).some((key) => key !== 'description' && key !== 'content'))
          throw new Error(`${where} ${code}: response fields beyond description and content`);
      }
    } else out[k] = v;
  }
  return out;
}

const groupVersions = {};
for (const [gv, doc] of v3) {
  const paths = {};
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const trimmed = {};
    for (const [method, value] of Object.entries(item)) {
      trimmed[method] =
        method === 'parameters' ? value.map(parameterRef) : trimOperation(value, `${gv} ${method} ${path}`);
    }
    paths[path] = trimmed;
  }
  groupVersions[gv] = { schemas: Object.keys(doc.components?.schemas ?? {}), paths };
}

const sample = v3.values().next().value;
const data = {
  v3: { openapi: sample.openapi, info: sample.info, securitySchemes: sample.components.securitySchemes },
  v2: {
    swagger: swagger.swagger,
    info: swagger.info,
    security: swagger.security,
    securityDefinitions: swagger.securityDefinitions,
  },
  schemas,
  parameters,
  mediaTypeLists,
  groupVersions,
};

// ---- output ---------------------------------------------------------------------------------

const json = Buffer.from(JSON.stringify(data));
const compressed = brotliCompressSync(json, {
  params: {
    [constants.BROTLI_PARAM_QUALITY]: 11,
    [constants.BROTLI_PARAM_LGWIN]: 24,
    [constants.BROTLI_PARAM_SIZE_HINT]: json.length,
  },
});
const v3Source = gitInfo(args['v3-repo']);
const v2Source = gitInfo(args['v2-repo']);
const sources = [
  `${v3Source.remote} ${v3Source.commit}${v3Source.tag ? ` (${v3Source.tag})` : ''} ${args['v3-path']}: OpenAPI v3, kubernetes/kubernetes release-1.33 api/openapi-spec/v3`,
  `${v2Source.remote} ${v2Source.commit}${v2Source.tag ? ` (${v2Source.tag})` : ''} ${args['v2-path']}: OpenAPI v2, kubernetes/kubernetes release-1.33 api/openapi-spec/swagger.json`,
];
const text = `// Generated by scripts/generate-openapi.mjs; do not edit. Regenerate with:
//   node scripts/generate-openapi.mjs --v3-repo DIR --v2-repo DIR
// Sources:
${sources.map((s) => `//   ${s}`).join('\n')}
// ${v3.size} group-versions, ${Object.keys(schemas).length} component schemas, ${parameters.length} distinct parameters.
// OPENAPI_DATA is brotli-compressed JSON (${json.length} bytes uncompressed), in base64; see
// ../openapi/openapi-data.ts for its shape.

/** Where the data comes from (repository, commit, path). */
export const OPENAPI_SOURCES: readonly string[] = ${JSON.stringify(sources)};

/** The group-versions that have a document, as their /openapi/v3 paths (\`api/v1\`, \`apis/apps/v1\`, ...). */
export const OPENAPI_GROUP_VERSIONS: readonly string[] = ${JSON.stringify([...v3.keys()])};

export const OPENAPI_DATA: string = ${JSON.stringify(compressed.toString('base64'))};
`;
writeFileSync(args.out, text);
execFileSync('npx', ['biome', 'format', '--write', args.out], { stdio: 'ignore' });
console.log(
  `${args.out}: ${v3.size} group-versions, ${Object.keys(schemas).length} schemas, ${parameters.length} parameters; ` +
    `JSON ${json.length} bytes, brotli ${compressed.length}, file ${Buffer.byteLength(text)}`,
);
if (!existsSync(args.out)) throw new Error('not written');
