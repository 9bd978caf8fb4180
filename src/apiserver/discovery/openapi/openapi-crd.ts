/**
 * OpenAPI v3 documents for custom resources, built from their CustomResourceDefinition as
 * apiextensions-apiserver does (`pkg/controller/openapi/builder`): per served version, the
 * resource's paths (list, create, deletecollection, read, replace, patch, delete, and the status
 * and scale subresources when enabled), a component schema for the kind and one for its list,
 * both carrying `x-kubernetes-group-version-kind`, and the meta schemas they refer to.
 *
 * The kind's schema is the version's `openAPIV3Schema` as the structural schema writes it back
 * (`ToKubeOpenAPI` after `Unfold`: `x-kubernetes-int-or-string` gains its `anyOf`, embedded
 * resources gain `apiVersion`, `kind` and `metadata`), with `metadata`, `apiVersion` and `kind`
 * set at the root. A version without a schema gets `{type: object}`.
 */
import type { OpenApiObject, OpenApiValue } from './openapi-data.js';
import { openApiData } from './openapi-data.js';
import { mergeOpenApiV3, type OpenApiV3Document } from './openapi-v3.js';

/** The parts of an `apiextensions.k8s.io/v1` CustomResourceDefinition the builder reads. */
export interface CrdForOpenApi {
  spec: {
    group: string;
    scope: string;
    names: { kind: string; listKind?: string; plural: string };
    versions: {
      name: string;
      served?: boolean;
      schema?: { openAPIV3Schema?: unknown };
      subresources?: { status?: unknown; scale?: unknown };
    }[];
  };
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const SCHEMA_REF = '#/components/schemas/';
const OBJECT_META_DESCRIPTION =
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const LIST_META_DESCRIPTION =
  'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
const EMBEDDED_API_VERSION =
  'apiVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const EMBEDDED_KIND =
  'kind is a string value representing the type of this object. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

/** The keywords a structural schema writes back (structural `ToKubeOpenAPI`); others are dropped. */
const KEPT = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'default',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
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
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function ref(name: string): OpenApiObject {
  return { $ref: `${SCHEMA_REF}${name}` };
}

/** The definition name of a custom kind: the group reversed, then version and kind (`com.example.v1.Widget`). */
export function crdSchemaName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

function typeMetaProperty(name: 'apiVersion' | 'kind'): OpenApiObject {
  // TypeMeta's own property schemas, as every kind carries them (DeleteOptions is in every document).
  const typeMeta = openApiData().schemas[`${META}.DeleteOptions`].properties as OpenApiObject;
  return typeMeta[name] as OpenApiObject;
}

const INT_OR_STRING_ANY_OF: OpenApiValue[] = [{ type: 'integer' }, { type: 'string' }];

/** One schema node of a CRD, as the structural schema writes it. */
function structural(schema: unknown): OpenApiObject {
  if (!isObject(schema)) return {};
  const out: OpenApiObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structural(v)]));
    } else if (key === 'items') out.items = structural(value);
    else if (key === 'additionalProperties')
      out.additionalProperties = isObject(value) ? structural(value) : (value as boolean);
    else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') out[key] = (value as unknown[]).map(structural);
    else if (key === 'not') out.not = structural(value);
    else if (KEPT.has(key)) out[key] = value as OpenApiValue;
  }
  if (out['x-kubernetes-int-or-string'] === true && !isIntOrStringPattern(out)) {
    // Unfold: int-or-string gains anyOf [integer, string] (or an allOf entry holding it).
    if (out.anyOf === undefined) out.anyOf = INT_OR_STRING_ANY_OF;
    else out.allOf = [{ anyOf: INT_OR_STRING_ANY_OF }, ...((out.allOf as OpenApiValue[] | undefined) ?? [])];
  }
  if (out['x-kubernetes-embedded-resource'] === true) {
    const properties = (out.properties as OpenApiObject | undefined) ?? {};
    properties.apiVersion = { ...typeMetaProperty('apiVersion'), description: EMBEDDED_API_VERSION };
    properties.kind = { ...typeMetaProperty('kind'), description: EMBEDDED_KIND };
    properties.metadata = { ...ref(`${META}.ObjectMeta`), description: OBJECT_META_DESCRIPTION };
    out.properties = properties;
    const required = [...((out.required as string[] | undefined) ?? [])];
    if (!required.includes('kind')) required.push('kind');
    if (!required.includes('apiVersion')) required.push('apiVersion');
    out.required = required;
  }
  return out;
}

function isIntOrStringPattern(schema: OpenApiObject): boolean {
  const matches = (anyOf: OpenApiValue | undefined) => JSON.stringify(anyOf) === JSON.stringify(INT_OR_STRING_ANY_OF);
  const allOf = schema.allOf as OpenApiObject[] | undefined;
  return matches(schema.anyOf) || (allOf !== undefined && allOf.length > 0 && matches(allOf[0].anyOf));
}

function gvk(group: string, version: string, kind: string): OpenApiObject {
  return { group, kind, version };
}

/** The article apiserver's `GetArticleForNoun` puts before a kind: none for plurals, `an` before vowels. */
function article(noun: string): string {
  if (!noun.endsWith('ss') && noun.endsWith('s')) return ' ';
  return /^[aeiou]/i.test(noun) ? ' an ' : ' a ';
}

/** apiserver's `ToValidOperationID`: drops what is not a letter, `_` or an inner digit, capitalising the next letter. */
function operationIdPart(s: string, capitalizeFirst: boolean): string {
  let out = '';
  let capitalize = capitalizeFirst;
  [...s].forEach((c, i) => {
    if (/\p{L}/u.test(c) || c === '_' || (i !== 0 && /\d/.test(c))) {
      out += capitalize ? c.toUpperCase() : c;
      capitalize = false;
    } else capitalize = true;
  });
  return out;
}

/** Route facts the operation texts are made of. */
interface Route {
  path: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  action: 'list' | 'post' | 'deletecollection' | 'get' | 'put' | 'delete' | 'patch';
  verb: 'list' | 'create' | 'deletecollection' | 'read' | 'replace' | 'delete' | 'patch';
  subresource: string;
  returns: string;
  forAllNamespaces?: boolean;
}

/** Query parameters of each action, as `AddObjectParams` adds them for the options kinds. */
function actionParameters(): Record<Route['action'], OpenApiObject[]> {
  // The same parameter objects the built-in documents use, from apps/v1 Deployment's operations.
  const data = openApiData();
  const paths = data.groupVersions['apis/apps/v1'].paths;
  const collection = paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
  const item = paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  const params = (op: unknown) => ((op as { parameters?: number[] }).parameters ?? []).map((i) => data.parameters[i]);
  const list = params(collection.get);
  return {
    list,
    post: params(collection.post),
    deletecollection: params(collection.delete),
    // GetOptions has one query field, resourceVersion, documented as ListOptions' is.
    get: list.filter((p) => p.name === 'resourceVersion'),
    put: params(item.put),
    patch: params(item.patch),
    delete: params(item.delete),
  };
}

function pathParameter(name: string, description: string): OpenApiObject {
  return { description, in: 'path', name, required: true, schema: { type: 'string', uniqueItems: true } };
}

const PRETTY: OpenApiObject = {
  description:
    "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).",
  in: 'query',
  name: 'pretty',
  schema: { type: 'string', uniqueItems: true },
};

function byName(a: OpenApiObject, b: OpenApiObject): number {
  return String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0;
}

/** The document of one served version of one CRD. */
export function buildCrdOpenApiV3(crd: CrdForOpenApi, version: string): OpenApiV3Document {
  const { group, names, scope } = crd.spec;
  const spec = crd.spec.versions.find((v) => v.name === version);
  if (spec === undefined) throw new Error(`the CRD has no version ${version}`);
  const kind = names.kind;
  const listKind = names.listKind ?? `${kind}List`;
  const namespaced = scope === 'Namespaced';
  const kindName = crdSchemaName(group, version, kind);
  const listName = crdSchemaName(group, version, listKind);
  const scaleName = 'io.k8s.api.autoscaling.v1.Scale';

  // Component schemas: the kind, its list, and the closure of what they and the paths refer to.
  const openAPIV3Schema = spec.schema?.openAPIV3Schema;
  const kindSchema: OpenApiObject = isObject(openAPIV3Schema) ? structural(openAPIV3Schema) : { type: 'object' };
  if (isObject(openAPIV3Schema)) {
    const properties = (kindSchema.properties as OpenApiObject | undefined) ?? {};
    properties.metadata = { ...ref(`${META}.ObjectMeta`), description: OBJECT_META_DESCRIPTION };
    properties.apiVersion = typeMetaProperty('apiVersion');
    properties.kind = typeMetaProperty('kind');
    kindSchema.properties = properties;
  }
  kindSchema['x-kubernetes-group-version-kind'] = [gvk(group, version, kind)];
  const listSchema: OpenApiObject = {
    description: `${listKind} is a list of ${kind}`,
    properties: {
      apiVersion: typeMetaProperty('apiVersion'),
      items: {
        description: `List of ${names.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        items: ref(kindName),
        type: 'array',
      },
      kind: typeMetaProperty('kind'),
      metadata: { ...ref(`${META}.ListMeta`), description: LIST_META_DESCRIPTION },
    },
    required: ['items'],
    type: 'object',
    'x-kubernetes-group-version-kind': [gvk(group, version, listKind)],
  };

  // Routes, as generateBuilder lists them.
  const root = namespaced
    ? `/apis/${group}/${version}/namespaces/{namespace}/${names.plural}`
    : `/apis/${group}/${version}/${names.plural}`;
  const routes: Route[] = [];
  if (namespaced) {
    routes.push({
      path: `/apis/${group}/${version}/${names.plural}`,
      method: 'get',
      action: 'list',
      verb: 'list',
      subresource: '',
      returns: listName,
      forAllNamespaces: true,
    });
  }
  routes.push(
    { path: root, method: 'get', action: 'list', verb: 'list', subresource: '', returns: listName },
    { path: root, method: 'post', action: 'post', verb: 'create', subresource: '', returns: kindName },
    {
      path: root,
      method: 'delete',
      action: 'deletecollection',
      verb: 'deletecollection',
      subresource: '',
      returns: `${META}.Status`,
    },
    { path: `${root}/{name}`, method: 'get', action: 'get', verb: 'read', subresource: '', returns: kindName },
    { path: `${root}/{name}`, method: 'put', action: 'put', verb: 'replace', subresource: '', returns: kindName },
    {
      path: `${root}/{name}`,
      method: 'delete',
      action: 'delete',
      verb: 'delete',
      subresource: '',
      returns: `${META}.Status`,
    },
    { path: `${root}/{name}`, method: 'patch', action: 'patch', verb: 'patch', subresource: '', returns: kindName },
  );
  for (const [sub, returns] of [
    ['status', kindName],
    ['scale', scaleName],
  ] as const) {
    if (spec.subresources?.[sub] === undefined || spec.subresources[sub] === null) continue;
    const path = `${root}/{name}/${sub}`;
    routes.push(
      { path, method: 'get', action: 'get', verb: 'read', subresource: sub, returns },
      { path, method: 'put', action: 'put', verb: 'replace', subresource: sub, returns },
      { path, method: 'patch', action: 'patch', verb: 'patch', subresource: sub, returns },
    );
  }

  const query = actionParameters();
  const groupId = group.endsWith('.k8s.io') ? group.slice(0, -'.k8s.io'.length) : group;
  const tag = `${operationIdPart(groupId, false)}_${operationIdPart(version, false)}`;
  const paths: Record<string, OpenApiObject> = {};
  const opParams = new Map<string, OpenApiObject[][]>();
  for (const route of routes) {
    const name = `${route.verb}${namespaced && !route.forAllNamespaces ? 'Namespaced' : ''}${kind}${
      route.forAllNamespaces ? 'ForAllNamespaces' : ''
    }${route.subresource.charAt(0).toUpperCase()}${route.subresource.slice(1)}`;
    // GetOperationIDAndTags: the verb prefix, then group and version, then the rest capitalised.
    const prefix = ['delete', 'list', 'create', 'read', 'replace', 'patch'].find((p) => name.startsWith(p))!;
    const operationId = `${prefix}${operationIdPart(groupId, true)}${operationIdPart(version, true)}${operationIdPart(
      name.slice(prefix.length),
      true,
    )}`;
    const sub = route.subresource === '' ? '' : ` ${route.subresource} of`;
    const description =
      route.verb === 'patch'
        ? `partially update${sub} the specified ${kind}`
        : route.verb === 'deletecollection'
          ? `delete collection of${sub === '' ? '' : `${sub} a`} ${kind}`
          : route.verb === 'list'
            ? `list${sub} objects of kind ${kind}`
            : route.verb === 'read' || route.verb === 'replace'
              ? `${route.verb}${sub} the specified ${kind}`
              : `${route.verb}${sub}${article(kind)}${kind}`;
    const body = route.returns;
    const content = (schema: string, types: string[]) =>
      Object.fromEntries(types.map((t) => [t, { schema: ref(schema) }]));
    const responses: OpenApiObject = {
      '200': { content: content(body, ['application/json', 'application/yaml']), description: 'OK' },
    };
    if (route.action === 'post' || route.action === 'put')
      responses['201'] = { content: content(body, ['application/json', 'application/yaml']), description: 'Created' };
    if (route.action === 'post' || route.action === 'delete')
      responses['202'] = { content: content(body, ['application/json', 'application/yaml']), description: 'Accepted' };
    responses['401'] = { description: 'Unauthorized' };
    const op: OpenApiObject = { description, operationId, responses, tags: [tag] };
    if (route.action === 'post' || route.action === 'put') {
      op.requestBody = { content: content(body, ['application/json', 'application/yaml']), required: true };
    } else if (route.action === 'patch') {
      op.requestBody = {
        content: content(`${META}.Patch`, [
          'application/json-patch+json',
          'application/merge-patch+json',
          'application/apply-patch+yaml',
        ]),
        required: true,
      };
    } else if (route.action === 'delete') {
      op.requestBody = { content: content(`${META}.DeleteOptions`, ['application/json', 'application/yaml']) };
    }
    op['x-kubernetes-action'] = route.action;
    op['x-kubernetes-group-version-kind'] = gvk(group, version, kind);
    const params = [PRETTY, ...query[route.action]];
    if (route.path.includes('{namespace}'))
      params.push(pathParameter('namespace', 'object name and auth scope, such as for teams and projects'));
    if (route.path.includes('{name}')) params.push(pathParameter('name', `name of the ${kind}`));
    const item = (paths[route.path] ??= {});
    item[route.method] = op;
    const list = opParams.get(route.path) ?? [];
    list.push(params);
    opParams.set(route.path, list);
  }
  // Parameters every operation of a path shares move up to the path (as kube-openapi's builder3 does).
  for (const [path, lists] of opParams) {
    const key = (p: OpenApiObject) => `${p.in} ${p.name}`;
    const shared = lists[0].filter((p) => lists.every((l) => l.some((q) => key(q) === key(p))));
    const sharedKeys = new Set(shared.map(key));
    const item = paths[path];
    let i = 0;
    for (const method of Object.keys(item)) {
      const own = lists[i++].filter((p) => !sharedKeys.has(key(p))).sort(byName);
      if (own.length > 0) (item[method] as OpenApiObject).parameters = own;
    }
    item.parameters = shared.sort(byName);
  }

  const schemas: Record<string, OpenApiObject> = { [kindName]: kindSchema, [listName]: listSchema };
  addReferenced(schemas, [kindSchema, listSchema, paths]);
  return {
    openapi: openApiData().v3.openapi,
    info: { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' },
    paths,
    components: { schemas },
  };
}

/** Adds every built-in schema reachable through `$ref`s from `roots` to `schemas`. */
function addReferenced(schemas: Record<string, OpenApiObject>, roots: OpenApiValue[]): void {
  const builtin = openApiData().schemas;
  const pending = [...roots];
  while (pending.length > 0) {
    const value = pending.pop();
    if (Array.isArray(value)) pending.push(...value);
    else if (isObject(value)) {
      for (const [key, v] of Object.entries(value)) {
        if (key === '$ref' && typeof v === 'string' && v.startsWith(SCHEMA_REF)) {
          const name = v.slice(SCHEMA_REF.length);
          if (!(name in schemas) && name in builtin) {
            schemas[name] = builtin[name];
            pending.push(builtin[name]);
          }
        } else pending.push(v as OpenApiValue);
      }
    }
  }
}

/**
 * The document of a group-version for every CRD serving it (the API server publishes one
 * document per group-version, merging the CRDs of the group).
 */
export function buildCrdsOpenApiV3(crds: readonly CrdForOpenApi[], group: string, version: string): OpenApiV3Document {
  const docs = crds
    .filter(
      (crd) => crd.spec.group === group && crd.spec.versions.some((v) => v.name === version && v.served !== false),
    )
    .map((crd) => buildCrdOpenApiV3(crd, version));
  if (docs.length === 0) throw new Error(`no CRD serves ${group}/${version}`);
  return mergeOpenApiV3(docs);
}
