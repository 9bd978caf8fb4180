// The OpenAPI document builders, against what kube-apiserver 1.33 serves and what kubectl reads.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  buildCrdOpenApiV3,
  buildCrdsOpenApiV3,
  crdSchemaName,
} from '../../../src/apiserver/discovery/openapi/openapi-crd.js';
import {
  builtinOpenApiGroupVersions,
  type OpenApiObject,
  openApiData,
  openApiSources,
} from '../../../src/apiserver/discovery/openapi/openapi-data.js';
import { buildOpenApiV2, toV2Schema } from '../../../src/apiserver/discovery/openapi/openapi-v2.js';
import {
  buildBuiltinOpenApiV3,
  buildOpenApiV3Index,
  mergeOpenApiV3,
  type OpenApiV3Document,
  openApiV3PathOf,
  publishOpenApiDocument,
  resourceOfPath,
} from '../../../src/apiserver/discovery/openapi/openapi-v3.js';
import { explain } from './explain.js';

const obj = (v: unknown) => v as OpenApiObject;

const CRONTAB = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'crontabs.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    scope: 'Namespaced',
    names: { kind: 'CronTab', listKind: 'CronTabList', plural: 'crontabs', singular: 'crontab' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: {
          status: {},
          scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
        },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: 'CronTab runs a command on a schedule.',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  cronSpec: { type: 'string', description: 'When to run, in cron syntax.', pattern: '^\\S+$' },
                  replicas: { type: 'integer', minimum: 1 },
                  port: { 'x-kubernetes-int-or-string': true },
                  template: {
                    type: 'object',
                    'x-kubernetes-embedded-resource': true,
                    'x-kubernetes-preserve-unknown-fields': true,
                  },
                },
                required: ['cronSpec'],
              },
              status: { type: 'object', properties: { replicas: { type: 'integer' } } },
            },
          },
        },
      },
      { name: 'v2', served: false, storage: false },
    ],
  },
};

function patchParameters(doc: OpenApiV3Document, path: string): string[] {
  const item = doc.paths[path];
  const own = (obj(item.patch).parameters as OpenApiObject[] | undefined) ?? [];
  const shared = (item.parameters as OpenApiObject[] | undefined) ?? [];
  return [...shared, ...own].map((p) => String(p.name));
}

describe('built-in OpenAPI v3 documents', () => {
  it('cover the Kubernetes 1.33 group-versions, from named sources', () => {
    assert.ok(builtinOpenApiGroupVersions.includes('api/v1'));
    assert.ok(builtinOpenApiGroupVersions.includes('apis/apps/v1'));
    assert.ok(builtinOpenApiGroupVersions.includes('apis/apiextensions.k8s.io/v1'));
    assert.equal(builtinOpenApiGroupVersions.length, 35);
    assert.ok(openApiSources.every((s) => /github\.com\/\S+ [0-9a-f]{40}/.test(s)));
    assert.equal(buildBuiltinOpenApiV3('apis/example.com/v1'), undefined);
  });

  it('apps/v1 has what kubectl explain and client-side validation look for', () => {
    const doc = buildBuiltinOpenApiV3('apis/apps/v1')!;
    assert.equal(doc.openapi, '3.0.0');
    const item = '/apis/apps/v1/namespaces/{namespace}/deployments/{name}';
    for (const method of ['get', 'put', 'patch', 'delete']) {
      assert.deepEqual(obj(doc.paths[item][method])['x-kubernetes-group-version-kind'], {
        group: 'apps',
        kind: 'Deployment',
        version: 'v1',
      });
    }
    assert.ok(patchParameters(doc, item).includes('fieldValidation'));
    const deployment = doc.components.schemas['io.k8s.api.apps.v1.Deployment'];
    assert.deepEqual(deployment['x-kubernetes-group-version-kind'], [
      { group: 'apps', kind: 'Deployment', version: 'v1' },
    ]);
    const replicas = obj(obj(doc.components.schemas['io.k8s.api.apps.v1.DeploymentSpec'].properties).replicas);
    assert.equal(replicas.type, 'integer');
    assert.equal(replicas.format, 'int32');
    assert.match(String(replicas.description), /^Number of desired pods/);
  });

  it('kubectl explain logic finds built-in fields through refs, allOf, items and maps', () => {
    const apps = buildBuiltinOpenApiV3('apis/apps/v1')!;
    const replicas = explain(apps, { group: 'apps', version: 'v1', resource: 'deployments' }, ['spec', 'replicas']);
    assert.equal(replicas.kind, 'Deployment');
    assert.equal(replicas.type, 'integer');
    assert.match(replicas.description, /^Number of desired pods/);
    const core = buildBuiltinOpenApiV3('api/v1')!;
    const image = explain(core, { group: '', version: 'v1', resource: 'pods' }, ['spec', 'containers', 'image']);
    assert.equal(image.type, 'string');
    const limits = explain(core, { group: '', version: 'v1', resource: 'pods' }, [
      'spec',
      'containers',
      'resources',
      'limits',
    ]);
    assert.equal(limits.type, 'map[string]Quantity');
    assert.throws(
      () => explain(core, { group: '', version: 'v1', resource: 'pods' }, ['spec', 'nope']),
      /field "nope" does not exist/,
    );
  });

  it('keeps only the paths of the resources asked for (and the root)', () => {
    const doc = buildBuiltinOpenApiV3('apis/apps/v1', { resources: new Set(['deployments']) })!;
    const resources = new Set(Object.keys(doc.paths).map((p) => resourceOfPath(p, 'apis/apps/v1')));
    assert.deepEqual([...resources].sort(), ['', 'deployments']);
    assert.ok(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']);
    assert.equal(resourceOfPath('/api/v1/watch/namespaces/{namespace}/pods/{name}', 'api/v1'), 'pods');
    assert.equal(resourceOfPath('/api/v1/namespaces/{name}/status', 'api/v1'), 'namespaces');
    assert.equal(openApiV3PathOf('', 'v1'), 'api/v1');
    assert.equal(openApiV3PathOf('apps', 'v1'), 'apis/apps/v1');
  });
});

describe('the /openapi/v3 index', () => {
  it('lists each document with the uppercase hex SHA-512 of its JSON', () => {
    const published = [
      publishOpenApiDocument('apis/apps/v1', buildBuiltinOpenApiV3('apis/apps/v1')!),
      publishOpenApiDocument('api/v1', buildBuiltinOpenApiV3('api/v1')!),
    ];
    const [apps] = published;
    assert.equal(apps.hash, createHash('sha512').update(apps.json).digest('hex').toUpperCase());
    assert.match(apps.hash, /^[0-9A-F]{128}$/);
    assert.deepEqual(buildOpenApiV3Index(published), {
      paths: {
        'api/v1': { serverRelativeURL: `/openapi/v3/api/v1?hash=${published[1].hash}` },
        'apis/apps/v1': { serverRelativeURL: `/openapi/v3/apis/apps/v1?hash=${apps.hash}` },
      },
    });
    // The same document always publishes to the same hash.
    assert.equal(publishOpenApiDocument('apis/apps/v1', buildBuiltinOpenApiV3('apis/apps/v1')!).hash, apps.hash);
  });
});

describe('OpenAPI v3 documents for CRDs', () => {
  const doc = buildCrdOpenApiV3(CRONTAB, 'v1');
  const kind = crdSchemaName('stable.example.com', 'v1', 'CronTab');

  it('names the schemas as the API server does and marks them with their kinds', () => {
    assert.equal(kind, 'com.example.stable.v1.CronTab');
    assert.deepEqual(doc.components.schemas[kind]['x-kubernetes-group-version-kind'], [
      { group: 'stable.example.com', kind: 'CronTab', version: 'v1' },
    ]);
    const list = doc.components.schemas['com.example.stable.v1.CronTabList'];
    assert.deepEqual(list['x-kubernetes-group-version-kind'], [
      { group: 'stable.example.com', kind: 'CronTabList', version: 'v1' },
    ]);
    assert.equal(list.description, 'CronTabList is a list of CronTab');
    for (const meta of ['ObjectMeta', 'ListMeta', 'Status', 'DeleteOptions', 'Patch', 'ManagedFieldsEntry', 'Time']) {
      assert.ok(doc.components.schemas[`io.k8s.apimachinery.pkg.apis.meta.v1.${meta}`], meta);
    }
    assert.ok(doc.components.schemas['io.k8s.api.autoscaling.v1.Scale']);
    assert.equal(doc.components.schemas['io.k8s.api.apps.v1.Deployment'], undefined);
  });

  it('writes the schema back as the structural schema does', () => {
    const schema = doc.components.schemas[kind];
    const props = obj(schema.properties);
    assert.deepEqual(obj(props.metadata).$ref, '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    assert.equal(obj(props.apiVersion).type, 'string');
    const spec = obj(obj(props.spec).properties);
    assert.deepEqual(obj(spec.port).anyOf, [{ type: 'integer' }, { type: 'string' }]);
    assert.deepEqual(obj(obj(spec.template).properties).kind, {
      description:
        'kind is a string value representing the type of this object. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      type: 'string',
    });
    assert.deepEqual(obj(spec.template).required, ['kind', 'apiVersion']);
    assert.equal(obj(spec.cronSpec).pattern, '^\\S+$');
  });

  it('lists the routes generateBuilder lists, with upstream operation ids, texts and parameters', () => {
    const root = '/apis/stable.example.com/v1/namespaces/{namespace}/crontabs';
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      '/apis/stable.example.com/v1/crontabs',
      root,
      `${root}/{name}`,
      `${root}/{name}/scale`,
      `${root}/{name}/status`,
    ]);
    const list = obj(doc.paths['/apis/stable.example.com/v1/crontabs'].get);
    assert.equal(list.operationId, 'listStableExampleComV1CronTabForAllNamespaces');
    assert.deepEqual(list.tags, ['stableExampleCom_v1']);
    assert.equal(obj(doc.paths[root].delete).operationId, 'deleteStableExampleComV1CollectionNamespacedCronTab');
    assert.equal(obj(doc.paths[root].delete).description, 'delete collection of CronTab');
    assert.equal(obj(doc.paths[root].post).description, 'create a CronTab');
    assert.equal(
      obj(doc.paths[`${root}/{name}/status`].patch).operationId,
      'patchStableExampleComV1NamespacedCronTabStatus',
    );
    assert.equal(
      obj(doc.paths[`${root}/{name}/status`].patch).description,
      'partially update status of the specified CronTab',
    );
    assert.deepEqual(obj(doc.paths[`${root}/{name}`].patch)['x-kubernetes-group-version-kind'], {
      group: 'stable.example.com',
      kind: 'CronTab',
      version: 'v1',
    });
    assert.deepEqual(patchParameters(doc, `${root}/{name}`), [
      'name',
      'namespace',
      'pretty',
      'dryRun',
      'fieldManager',
      'fieldValidation',
      'force',
    ]);
    // Custom resources take no strategic merge patch.
    assert.deepEqual(Object.keys(obj(obj(obj(doc.paths[`${root}/{name}`].patch).requestBody).content)), [
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/apply-patch+yaml',
    ]);
    assert.equal(
      obj(obj(obj(obj(doc.paths[`${root}/{name}/scale`].get).responses)['200']).content)['application/json'] !==
        undefined,
      true,
    );
  });

  it('kubectl explain logic reads custom resources too', () => {
    const found = explain(doc, { group: 'stable.example.com', version: 'v1', resource: 'crontabs' }, [
      'spec',
      'cronSpec',
    ]);
    assert.deepEqual(found, { kind: 'CronTab', type: 'string', description: 'When to run, in cron syntax.' });
  });

  it('merges the CRDs of a group-version and refuses versions no CRD serves', () => {
    const other = structuredClone(CRONTAB);
    other.spec.names = { kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget' };
    other.spec.scope = 'Cluster';
    const merged = buildCrdsOpenApiV3([CRONTAB, other], 'stable.example.com', 'v1');
    assert.ok(merged.components.schemas['com.example.stable.v1.Widget']);
    assert.ok(merged.components.schemas['com.example.stable.v1.CronTab']);
    assert.ok(merged.paths['/apis/stable.example.com/v1/widgets/{name}']);
    assert.throws(() => buildCrdsOpenApiV3([CRONTAB], 'stable.example.com', 'v2'), /no CRD serves/);
    const both = mergeOpenApiV3([buildBuiltinOpenApiV3('apis/apps/v1')!, merged]);
    assert.ok(both.paths['/apis/apps/v1/deployments'] && both.paths['/apis/stable.example.com/v1/widgets']);
  });

  it('a version without a schema is a bare object with its kind', () => {
    const bare = structuredClone(CRONTAB);
    delete (bare.spec.versions[0] as { schema?: unknown }).schema;
    const schema = buildCrdOpenApiV3(bare, 'v1').components.schemas[kind];
    assert.deepEqual(schema, {
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: 'stable.example.com', kind: 'CronTab', version: 'v1' }],
    });
  });
});

describe('the /openapi/v2 document', () => {
  it('holds the built-in definitions as v2 writes them', () => {
    const v2 = buildOpenApiV2([{ document: buildBuiltinOpenApiV3('apis/apps/v1')! }]);
    assert.equal(v2.swagger, '2.0');
    const deployment = v2.definitions['io.k8s.api.apps.v1.Deployment'];
    assert.deepEqual(obj(deployment.properties).metadata, {
      $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      description:
        "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    });
    assert.equal(v2.definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'].type, 'string');
    assert.equal(v2.definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'].oneOf, undefined);
    const patch = obj(v2.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch);
    const names = (patch.parameters as OpenApiObject[]).map((p) => p.name);
    assert.deepEqual(names.slice(0, 2), ['body', 'dryRun']);
    assert.ok(names.includes('fieldValidation'));
    assert.deepEqual(obj(obj(patch.responses)['200']).schema, { $ref: '#/definitions/io.k8s.api.apps.v1.Deployment' });
  });

  it('reduces custom resource schemas as apiextensions does for v2', () => {
    const v2 = buildOpenApiV2([{ document: buildCrdOpenApiV3(CRONTAB, 'v1'), custom: true }]);
    const spec = obj(obj(v2.definitions['com.example.stable.v1.CronTab'].properties).spec);
    const props = obj(spec.properties);
    assert.equal(obj(props.cronSpec).pattern, undefined);
    assert.equal(obj(props.port).anyOf, undefined);
    assert.deepEqual(obj(props.template), { type: 'object', 'x-kubernetes-embedded-resource': true });
    // The meta definitions are still the built-in ones.
    assert.deepEqual(
      v2.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'],
      toV2Schema(openApiData().schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']),
    );
  });
});
