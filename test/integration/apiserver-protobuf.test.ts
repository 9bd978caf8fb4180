// Protobuf over HTTP, for every built-in kind the emulator serves: a filled sample of the kind
// (every field set, from the schema table) goes in as a protobuf body and comes back the same
// in protobuf and in JSON; lists, watch streams (length-prefixed frames), Status errors, updates,
// /status, /scale and protobuf DeleteOptions; a custom resource's protobuf body is a 400 and its
// answers fall back to JSON; malformed and fuzzed bodies are 400s and the server keeps serving.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeKubernetesProtobuf,
  decodeWatchFrames,
  encodeKubernetesProtobuf,
  PROTOBUF_MEDIA_TYPE,
  protobufMessageForKind,
} from '../../src/apiserver/codec/protobuf-codec.js';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { BUILTIN_RESOURCE_TYPES, type JsonObject, type ResourceType } from '../../src/core/index.js';
import { kindSample } from '../apiserver/codec/samples.js';

const PB = PROTOBUF_MEDIA_TYPE;
const PB_ACCEPT = `${PB},application/json`;

interface Answer {
  status: number;
  type: string;
  body: Buffer;
}

function send(
  server: ApiServer,
  method: string,
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  // Node sends a DELETE body without framing unless told its length.
  const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server.url), { method, headers: { ...headers, ...length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type']),
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function json(answer: Answer): JsonObject {
  assert.equal(answer.type, 'application/json', answer.body.toString());
  return JSON.parse(answer.body.toString('utf8')) as JsonObject;
}

function pb(answer: Answer): JsonObject {
  assert.equal(answer.type, PB, answer.body.toString());
  return decodeKubernetesProtobuf(answer.body);
}

function collectionPath(type: ResourceType, namespace = 'pb'): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  return type.namespaced ? `${base}/namespaces/${namespace}/${type.plural}` : `${base}/${type.plural}`;
}

/** The sample of a kind, with metadata the server accepts on create. */
function sampleOf(type: ResourceType, name: string): JsonObject {
  const message = protobufMessageForKind(type.apiVersion, type.kind);
  assert.ok(message, `${type.apiVersion}/${type.kind} has a protobuf form`);
  const sample = kindSample(type.apiVersion, type.kind, message);
  sample.metadata = {
    name,
    ...(type.namespaced ? { namespace: 'pb' } : {}),
    labels: { app: 'pb' },
    annotations: { note: 'protobuf' },
  };
  delete sample.status;
  makeValid(type.kind, sample);
  return sample;
}

/**
 * Turns the filler values of a sample into ones the server's validation accepts, as a real client
 * would send them: enum fields get a supported value, each volume keeps one source, selectors use
 * real operators, bindings name a Role. Every field stays set.
 */
function makeValid(kind: string, sample: JsonObject): void {
  const visit = (value: unknown, key: string): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const object = value as JsonObject;
    if (key === 'volumes') {
      const sources = Object.keys(object).filter((k) => k !== 'name');
      for (const source of sources.slice(1)) delete object[source];
    }
    if (key === 'matchExpressions') object.operator = 'In';
    if (key === 'ports' && typeof object.protocol === 'string') object.protocol = 'TCP';
    if (key === 'containers' || key === 'initContainers' || key === 'ephemeralContainers') {
      object.imagePullPolicy = 'IfNotPresent';
      // Container names are unique across a Pod's lists.
      if (key !== 'containers') object.name = `${key.slice(0, 4)}-${String(object.name)}`;
    }
    for (const [k, v] of Object.entries(object)) visit(v, k);
  };
  visit(sample, '');
  const spec = sample.spec as JsonObject | undefined;
  if (kind === 'CronJob') {
    // A CronJob's job template is a Job spec, valid as one (its selector is generated).
    (spec as JsonObject).concurrencyPolicy = 'Forbid';
    const jobSpec = ((spec as JsonObject).jobTemplate as JsonObject).spec as JsonObject;
    jobSpec.completionMode = 'Indexed';
    delete jobSpec.selector;
    delete jobSpec.manualSelector;
    makeValid('Job', { spec: jobSpec } as JsonObject);
    return;
  }
  const podSpec = (spec?.template as JsonObject | undefined)?.spec as JsonObject | undefined;
  switch (kind) {
    case 'Namespace':
      (spec as JsonObject).finalizers = ['kubernetes'];
      break;
    case 'ConfigMap':
      sample.binaryData = { b1: 'YQ==' };
      break;
    case 'Service':
      Object.assign(spec as JsonObject, { type: 'LoadBalancer', sessionAffinity: 'None' });
      break;
    case 'Secret':
      // The real server folds stringData into data; the sample sends data only.
      delete sample.stringData;
      break;
    case 'Pod':
      (spec as JsonObject).restartPolicy = 'Always';
      break;
    case 'Deployment': {
      const strategy = (spec as JsonObject).strategy as JsonObject;
      strategy.type = 'RollingUpdate';
      Object.assign(strategy.rollingUpdate as JsonObject, { maxUnavailable: '25%', maxSurge: 1 });
      break;
    }
    case 'DaemonSet':
      ((spec as JsonObject).updateStrategy as JsonObject).type = 'RollingUpdate';
      break;
    case 'StatefulSet':
      Object.assign(spec as JsonObject, { podManagementPolicy: 'Parallel' });
      ((spec as JsonObject).updateStrategy as JsonObject).type = 'RollingUpdate';
      break;
    case 'Job':
      (spec as JsonObject).completionMode = 'Indexed';
      break;
    case 'Role':
    case 'ClusterRole':
      for (const rule of sample.rules as JsonObject[]) delete rule.nonResourceURLs;
      break;
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      sample.roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' };
      for (const subject of sample.subjects as JsonObject[])
        Object.assign(subject, { kind: 'User', apiGroup: 'rbac.authorization.k8s.io' });
      break;
  }
  for (const pod of [sample.spec, podSpec] as (JsonObject | undefined)[]) {
    // Mounts name a volume of the Pod.
    const volume = ((pod?.volumes as JsonObject[] | undefined) ?? [])[0]?.name;
    for (const field of ['containers', 'initContainers', 'ephemeralContainers']) {
      for (const c of (pod?.[field] as JsonObject[] | undefined) ?? []) {
        for (const m of (c.volumeMounts as JsonObject[] | undefined) ?? []) m.name = volume ?? null;
      }
    }
  }
  const selector = spec?.selector as JsonObject | undefined;
  const template = spec?.template as JsonObject | undefined;
  if (selector !== undefined && template !== undefined) {
    // The template carries the labels its selector asks for.
    const labels: JsonObject = { ...((selector.matchLabels as JsonObject | undefined) ?? {}) };
    for (const e of (selector.matchExpressions as JsonObject[] | undefined) ?? []) {
      labels[String(e.key)] = (e.values as string[])[0];
    }
    (template.metadata as JsonObject).labels = labels;
  }
  if (podSpec !== undefined) {
    podSpec.restartPolicy = kind === 'Job' ? 'Never' : 'Always';
    if (kind !== 'Job') delete podSpec.activeDeadlineSeconds;
  }
}

/** An object as Go's JSON writes it after a round through its Go type. */
function goView(object: JsonObject): JsonObject {
  return decodeKubernetesProtobuf(encodeKubernetesProtobuf(object));
}

/** The fields a create keeps as sent: everything but metadata, status and what the server sets. */
function sentFields(object: JsonObject): JsonObject {
  const { metadata: _m, status: _s, ...rest } = object;
  return rest;
}

/** Kinds whose create rewrites fields of the sample (the real server does the same). */
const REWRITTEN: Record<string, readonly string[]> = {
  // A Namespace's spec.finalizers are the server's.
  Namespace: ['spec'],
  // A CRD sample's schema is not a structural schema: served with a real CRD instead.
  CustomResourceDefinition: ['*'],
};

describe('protobuf over HTTP, every served built-in kind', () => {
  let server: ApiServer;

  before(async () => {
    server = await startApiServer({ port: 0 });
    const ns = await send(
      server,
      'POST',
      '/api/v1/namespaces',
      encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pb' } }),
      { 'content-type': PB, accept: PB_ACCEPT },
    );
    assert.equal(ns.status, 201, ns.body.toString());
  });
  after(() => server.stop());

  const kinds = BUILTIN_RESOURCE_TYPES.filter((t) => REWRITTEN[t.kind]?.[0] !== '*');

  it('every served built-in kind has a protobuf form', () => {
    for (const type of BUILTIN_RESOURCE_TYPES) {
      assert.ok(protobufMessageForKind(type.apiVersion, type.kind), `${type.apiVersion} ${type.kind}`);
    }
  });

  for (const type of kinds) {
    it(`${type.apiVersion} ${type.kind}: created from protobuf, read back in protobuf and JSON, listed and watched`, async () => {
      // StatefulSet names are DNS labels: no group suffix for them.
      const suffix = type.group === '' || type.kind === 'StatefulSet' ? '' : `.${type.group}`;
      const name = `pb-${type.kind.toLowerCase()}${suffix}`;
      const sample = sampleOf(type, name);
      const path = collectionPath(type);
      const created = await send(server, 'POST', path, encodeKubernetesProtobuf(sample), {
        'content-type': PB,
        accept: PB_ACCEPT,
      });
      assert.equal(created.status, 201, created.body.toString());
      const createdObject = pb(created);
      const asJson = json(await send(server, 'GET', `${path}/${name}`, undefined, { accept: 'application/json' }));
      const asPb = pb(await send(server, 'GET', `${path}/${name}`, undefined, { accept: PB_ACCEPT }));
      // The protobuf answer is the JSON answer's object, as Go would write it (zero structs
      // included, as protobuf cannot leave them out).
      assert.deepEqual(asPb, goView(asJson));
      assert.deepEqual(createdObject, asPb);
      // What was sent is what is stored, except what the server owns.
      const kept = sentFields(asPb);
      const sent = sentFields(goView(sample));
      for (const field of REWRITTEN[type.kind] ?? []) {
        delete kept[field];
        delete sent[field];
      }
      assert.deepEqual(kept, sent);
      assert.equal(((asJson.metadata as JsonObject).labels as JsonObject).app, 'pb');

      // A list in protobuf: the items are the objects, without TypeMeta.
      const list = pb(await send(server, 'GET', `${path}?labelSelector=app%3Dpb`, undefined, { accept: PB_ACCEPT }));
      assert.equal(list.kind, type.listKind);
      const { kind: _k, apiVersion: _a, ...item } = asPb;
      assert.deepEqual(
        (list.items as JsonObject[]).find((i) => (i.metadata as JsonObject).name === name),
        item,
      );

      // A watch in protobuf: length-prefixed WatchEvent frames.
      const watch = await send(
        server,
        'GET',
        `${path}?watch=1&fieldSelector=metadata.name%3D${name}&timeoutSeconds=1`,
        undefined,
        { accept: PB_ACCEPT },
      );
      assert.equal(watch.status, 200);
      assert.equal(watch.type, 'application/vnd.kubernetes.protobuf;stream=watch');
      const { events, used } = decodeWatchFrames(watch.body);
      assert.equal(used, watch.body.length);
      assert.equal(events[0]?.type, 'ADDED');
      assert.deepEqual(events[0]?.object, asPb);
    });
  }
});

const FIXTURES = join(import.meta.dirname, '..', 'apiserver', 'codec', 'fixtures', 'kubectl');

/** The collection a captured kubectl 1.33 body was POSTed to. */
const GOLDEN_PATHS: Record<string, string> = {
  'create-deployment': '/apis/apps/v1/namespaces/default/deployments',
  'create-job': '/apis/batch/v1/namespaces/default/jobs',
  'create-role': '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles',
  'create-rolebinding': '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings',
  'create-service-clusterip': '/api/v1/namespaces/default/services',
  'create-serviceaccount': '/api/v1/namespaces/default/serviceaccounts',
};

const WIDGETS_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.pb.example.com' },
  spec: {
    group: 'pb.example.com',
    scope: 'Namespaced',
    names: { kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget' },
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
            properties: {
              spec: { type: 'object', properties: { replicas: { type: 'integer' }, size: { type: 'string' } } },
              status: { type: 'object', properties: { replicas: { type: 'integer' } } },
            },
          },
        },
      },
    ],
  },
};

const WIDGETS = '/apis/pb.example.com/v1/namespaces/default/widgets';

/** A protobuf DeleteOptions body under `apiVersion`. */
function deleteOptions(apiVersion: string, options: JsonObject): Buffer {
  const message = protobufMessageForKind('meta.k8s.io/v1', 'DeleteOptions');
  return encodeKubernetesProtobuf({ apiVersion, kind: 'DeleteOptions', ...options }, message);
}

describe('protobuf over HTTP: writes, subresources, errors, custom resources, real client bytes', () => {
  let server: ApiServer;

  before(async () => {
    server = await startApiServer({ port: 0 });
    const crd = await send(
      server,
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      encodeKubernetesProtobuf(WIDGETS_CRD),
      { 'content-type': PB, accept: PB_ACCEPT },
    );
    assert.equal(crd.status, 201, crd.body.toString());
    assert.equal(pb(crd).kind, 'CustomResourceDefinition');
  });
  after(() => server.stop());

  it('creates from the bytes kubectl 1.33 sent; the stored object is what kubectl 1.31 sent in JSON', async () => {
    for (const [command, path] of Object.entries(GOLDEN_PATHS)) {
      const body = readFileSync(join(FIXTURES, `${command}.1.33.pb`));
      const sentJson = JSON.parse(readFileSync(join(FIXTURES, `${command}.1.31.json-body`), 'utf8')) as JsonObject;
      const created = await send(server, 'POST', `${path}?fieldManager=kubectl-create&fieldValidation=Strict`, body, {
        'content-type': PB,
        accept: PB_ACCEPT,
      });
      assert.equal(created.status, 201, `${command}: ${created.body.toString()}`);
      const stored = pb(created);
      assert.deepEqual(sentFields(stored), sentFields(goView(sentJson)), command);
    }
  });

  it('deletes a Pod with the DeleteOptions bytes kubectl 1.33 drain sent', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p1' },
      // Scheduled, so the grace period applies (an unscheduled pod goes at once).
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }] },
    };
    assert.equal(
      (
        await send(server, 'POST', '/api/v1/namespaces/default/pods', JSON.stringify(pod), {
          'content-type': 'application/json',
        })
      ).status,
      201,
    );
    const body = readFileSync(join(FIXTURES, 'drain-delete-options.1.33.pb'));
    const deleted = await send(server, 'DELETE', '/api/v1/namespaces/default/pods/p1', body, {
      'content-type': PB,
      accept: PB_ACCEPT,
    });
    assert.equal(deleted.status, 200, deleted.body.toString());
    // gracePeriodSeconds 5: the pod is terminating, not gone.
    const terminating = pb(deleted);
    assert.equal((terminating.metadata as JsonObject).deletionGracePeriodSeconds, 5);
  });

  it('binds a Pod with a protobuf Binding (as kube-scheduler sends it); the Status comes in protobuf', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'unbound' },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    };
    const created = await send(server, 'POST', '/api/v1/namespaces/default/pods', JSON.stringify(pod), {
      'content-type': 'application/json',
    });
    assert.equal(created.status, 201, created.body.toString());
    const binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'unbound', namespace: 'default', annotations: { placed: 'by-test' } },
      target: { kind: 'Node', name: 'node-9' },
    };
    const bound = await send(
      server,
      'POST',
      '/api/v1/namespaces/default/pods/unbound/binding',
      encodeKubernetesProtobuf(binding),
      { 'content-type': PB, accept: PB_ACCEPT },
    );
    assert.equal(bound.status, 201, bound.body.toString());
    assert.deepEqual([pb(bound).kind, pb(bound).status], ['Status', 'Success']);
    const stored = json(await send(server, 'GET', '/api/v1/namespaces/default/pods/unbound'));
    assert.equal((stored.spec as JsonObject).nodeName, 'node-9');
    assert.equal(((stored.metadata as JsonObject).annotations as JsonObject).placed, 'by-test');
  });

  it('updates, writes /status and /scale in protobuf', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments';
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'upd' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'upd' } },
        template: { metadata: { labels: { app: 'upd' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      },
    };
    const created = pb(
      await send(server, 'POST', path, encodeKubernetesProtobuf(deployment), { 'content-type': PB, accept: PB_ACCEPT }),
    );
    const changed = { ...created, spec: { ...(created.spec as JsonObject), paused: true } };
    const updated = await send(server, 'PUT', `${path}/upd`, encodeKubernetesProtobuf(changed), {
      'content-type': PB,
      accept: PB_ACCEPT,
    });
    assert.equal(updated.status, 200, updated.body.toString());
    assert.equal((pb(updated).spec as JsonObject).paused, true);
    const withStatus = { ...pb(updated), status: { observedGeneration: 2, replicas: 1, readyReplicas: 1 } };
    const status = await send(server, 'PUT', `${path}/upd/status`, encodeKubernetesProtobuf(withStatus), {
      'content-type': PB,
      accept: PB_ACCEPT,
    });
    assert.equal(status.status, 200, status.body.toString());
    assert.equal((pb(status).status as JsonObject).readyReplicas, 1);
    const scale = pb(await send(server, 'GET', `${path}/upd/scale`, undefined, { accept: PB_ACCEPT }));
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.apiVersion, 'autoscaling/v1');
    const rescaled = await send(
      server,
      'PUT',
      `${path}/upd/scale`,
      encodeKubernetesProtobuf({ ...scale, spec: { replicas: 3 } }),
      { 'content-type': PB, accept: PB_ACCEPT },
    );
    assert.equal(rescaled.status, 200, rescaled.body.toString());
    assert.equal((pb(rescaled).spec as JsonObject).replicas, 3);
    // A stale update is a Conflict Status, in protobuf.
    const stale = await send(server, 'PUT', `${path}/upd`, encodeKubernetesProtobuf(changed), {
      'content-type': PB,
      accept: PB_ACCEPT,
    });
    assert.equal(stale.status, 409);
    const conflict = pb(stale);
    assert.equal(conflict.kind, 'Status');
    assert.equal(conflict.reason, 'Conflict');
  });

  it('answers errors as protobuf Statuses when Accept prefers protobuf', async () => {
    const missing = await send(server, 'GET', '/api/v1/namespaces/default/configmaps/nothing', undefined, {
      accept: PB_ACCEPT,
    });
    assert.equal(missing.status, 404);
    assert.deepEqual(pb(missing), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "nothing" not found',
      reason: 'NotFound',
      details: { name: 'nothing', kind: 'configmaps' },
      code: 404,
    });
    // JSON when asked for JSON.
    const asJson = await send(server, 'GET', '/api/v1/namespaces/default/configmaps/nothing', undefined, {
      accept: 'application/json',
    });
    assert.equal(json(asJson).reason, 'NotFound');
  });

  it('PartialObjectMetadata in protobuf (lists and watches), YAML answers', async () => {
    const path = '/api/v1/namespaces/default/configmaps';
    await send(server, 'POST', path, JSON.stringify({ metadata: { name: 'meta' }, data: { x: 'y' } }), {
      'content-type': 'application/json',
    });
    const accept = `${PB};as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json`;
    const list = pb(await send(server, 'GET', `${path}?fieldSelector=metadata.name%3Dmeta`, undefined, { accept }));
    assert.equal(list.kind, 'PartialObjectMetadataList');
    assert.equal(((list.items as JsonObject[])[0].metadata as JsonObject).name, 'meta');
    assert.equal((list.items as JsonObject[])[0].data, undefined);
    const watch = await send(
      server,
      'GET',
      `${path}?watch=1&fieldSelector=metadata.name%3Dmeta&timeoutSeconds=1`,
      undefined,
      {
        accept: accept.replace('PartialObjectMetadataList', 'PartialObjectMetadata'),
      },
    );
    const [event] = decodeWatchFrames(watch.body).events;
    assert.equal(event.object.kind, 'PartialObjectMetadata');
    const yaml = await send(server, 'GET', `${path}/meta`, undefined, { accept: 'application/yaml' });
    assert.equal(yaml.type, 'application/yaml');
    assert.match(yaml.body.toString(), /^apiVersion: v1\ndata:\n {2}x: "y"\nkind: ConfigMap\nmetadata:\n/);
  });

  it('a watch negotiated to YAML (no stream form) is a 406 listing the stream media types', async () => {
    // handlers/watch.go: NegotiateOutputMediaTypeStream picks the same clause as the GET would
    // and refuses one whose serializer cannot stream, even when a later clause could.
    const path = '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1';
    for (const accept of ['application/yaml', 'application/yaml, application/json']) {
      const answer = await send(server, 'GET', path, undefined, { accept });
      assert.equal(answer.status, 406, accept);
      // The Status itself is negotiated as any error is: YAML here.
      assert.equal(answer.type, 'application/yaml');
      const text = answer.body.toString();
      assert.match(text, /^reason: NotAcceptable$/m);
      assert.match(
        text,
        /^message: ["']only the following media types are accepted: application\/json;stream=watch, application\/vnd.kubernetes.protobuf;stream=watch["']$/m,
      );
    }
    // A plain GET of the same collection in YAML is fine.
    const list = await send(server, 'GET', '/api/v1/namespaces/default/configmaps', undefined, {
      accept: 'application/yaml',
    });
    assert.equal(list.status, 200);
    assert.equal(list.type, 'application/yaml');
  });

  it('a streaming list in protobuf: the initial-events-end bookmark carries the list blueprint in protobuf', async () => {
    // response.go watchListTransformer: the empty versioned list is encoded with the negotiated
    // encoder (client-go decodes it with the stream's decoder), then base64'd into the annotation.
    const path = '/api/v1/namespaces/default/configmaps';
    const query = '?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true';
    const cases: [string, string][] = [
      [PB_ACCEPT, 'ConfigMapList'],
      [`${PB};as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json`, 'PartialObjectMetadataList'],
    ];
    for (const [accept, listKind] of cases) {
      const answer = await send(server, 'GET', `${path}${query}&timeoutSeconds=1`, undefined, { accept });
      assert.equal(answer.type, `${PB};stream=watch`);
      const bookmark = decodeWatchFrames(answer.body).events.find((e) => e.type === 'BOOKMARK');
      assert.ok(bookmark, 'the stream has the initial-events-end bookmark');
      const annotations = (bookmark.object.metadata as JsonObject).annotations as JsonObject;
      assert.equal(annotations['k8s.io/initial-events-end'], 'true');
      const blueprint = Buffer.from(String(annotations['kubernetes.io/initial-events-list-blueprint']), 'base64');
      const list = decodeKubernetesProtobuf(blueprint);
      assert.equal(list.kind, listKind, accept);
      assert.deepEqual(list.items, null);
    }
    // In JSON it is the JSON of the empty list, as encoding/json writes it.
    const asJson = await send(server, 'GET', `${path}${query}&timeoutSeconds=1`, undefined, {
      accept: 'application/json',
    });
    const line = asJson.body
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: JsonObject })
      .find((e) => e.type === 'BOOKMARK');
    assert.ok(line);
    const annotations = (line.object.metadata as JsonObject).annotations as JsonObject;
    assert.equal(
      Buffer.from(String(annotations['kubernetes.io/initial-events-list-blueprint']), 'base64').toString(),
      '{"kind":"ConfigMapList","apiVersion":"v1","metadata":{},"items":null}\n',
    );
  });

  it('a protobuf DELETE body of another kind is the decoder error (500), and deletes nothing', async () => {
    // DeleteOptions decode through the meta scheme, which registers no other kind
    // (runtime.UseOrCreateObject -> Scheme.New), so the body is never read as DeleteOptions.
    const path = '/api/v1/namespaces/default/configmaps';
    await send(server, 'POST', path, JSON.stringify({ metadata: { name: 'keep' } }), {
      'content-type': 'application/json',
    });
    const body = encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keep' } });
    const answer = await send(server, 'DELETE', `${path}/keep`, body, { 'content-type': PB });
    assert.equal(answer.status, 500);
    assert.deepEqual(
      { reason: json(answer).reason, message: json(answer).message },
      {
        reason: '',
        message:
          'no kind "ConfigMap" is registered for version "v1" in scheme "pkg/apis/meta/internalversion/scheme/register.go:27"',
      },
    );
    assert.equal((await send(server, 'GET', `${path}/keep`)).status, 200);
  });

  it('a malformed protobuf body is a 400 with the decoder text; an unknown media type a 415', async () => {
    const truncated = Buffer.concat([
      encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }).subarray(0, 20),
    ]);
    const bad = await send(server, 'POST', '/api/v1/namespaces/default/configmaps', truncated, { 'content-type': PB });
    assert.equal(bad.status, 400);
    const status = json(bad);
    assert.equal(status.reason, 'BadRequest');
    assert.match(
      String(status.message),
      /^the object provided is unrecognized \(must be of type ConfigMap\): unexpected EOF \(6b387300/,
    );
    // NegotiateInputSerializer compares the media type with the server's list: a wildcard is
    // no media type of it.
    for (const method of ['POST', 'DELETE']) {
      const path = `/api/v1/namespaces/default/configmaps${method === 'DELETE' ? '/nothing' : ''}`;
      const wildcard = await send(server, method, path, '{}', { 'content-type': '*/*' });
      assert.equal(wildcard.status, 415, method);
    }
    const wrongType = await send(server, 'POST', '/api/v1/namespaces/default/configmaps', '{}', {
      'content-type': 'text/plain',
    });
    assert.equal(wrongType.status, 415);
    assert.equal(
      json(wrongType).message,
      'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    );
  });

  it('a custom resource: protobuf body is a 400 (not a 415), answers fall back to JSON, DeleteOptions in protobuf work', async () => {
    const widget = {
      apiVersion: 'pb.example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1' },
      spec: { replicas: 1, size: 'L' },
    };
    // The schema table has no Widget: build the envelope by hand around a ConfigMap-shaped message.
    const body = encodeKubernetesProtobuf(
      { apiVersion: 'pb.example.com/v1', kind: 'Widget', metadata: { name: 'w1' } },
      protobufMessageForKind('v1', 'ConfigMap'),
    );
    const refused = await send(server, 'POST', WIDGETS, body, { 'content-type': PB, accept: PB_ACCEPT });
    assert.equal(refused.status, 400);
    // A Status has a protobuf form: the error comes in protobuf.
    assert.deepEqual(
      { reason: pb(refused).reason, message: pb(refused).message },
      {
        reason: 'BadRequest',
        message:
          "Widget in version \"v1\" cannot be handled as a Widget: Object 'Kind' is missing in 'object has no kind field '",
      },
    );
    const created = await send(server, 'POST', WIDGETS, JSON.stringify(widget), {
      'content-type': 'application/json',
      accept: PB_ACCEPT,
    });
    assert.equal(created.status, 201);
    assert.equal(json(created).kind, 'Widget');
    assert.equal(json(await send(server, 'GET', `${WIDGETS}/w1`, undefined, { accept: PB_ACCEPT })).kind, 'Widget');
    assert.equal(json(await send(server, 'GET', WIDGETS, undefined, { accept: PB_ACCEPT })).kind, 'WidgetList');
    const onlyPb = await send(server, 'GET', `${WIDGETS}/w1`, undefined, { accept: PB });
    assert.equal(onlyPb.status, 406);
    const watch = await send(server, 'GET', `${WIDGETS}?watch=true&timeoutSeconds=1`, undefined, { accept: PB_ACCEPT });
    assert.equal(watch.type, 'application/json');
    assert.match(
      watch.body.toString(),
      /^\{"type":"ADDED","object":\{"apiVersion":"pb.example.com\/v1","kind":"Widget"/,
    );
    // The scale subresource speaks autoscaling/v1 Scale, which has a protobuf form.
    const scale = pb(await send(server, 'GET', `${WIDGETS}/w1/scale`, undefined, { accept: PB_ACCEPT }));
    assert.equal(scale.kind, 'Scale');
    // DeleteOptions in protobuf, under each apiVersion the server accepts them with.
    for (const [i, apiVersion] of ['v1', 'pb.example.com/v1', 'meta.k8s.io/v1'].entries()) {
      const name = `del-${i}`;
      await send(server, 'POST', WIDGETS, JSON.stringify({ ...widget, metadata: { name } }), {
        'content-type': 'application/json',
      });
      const deleted = await send(
        server,
        'DELETE',
        `${WIDGETS}/${name}`,
        deleteOptions(apiVersion, { propagationPolicy: 'Foreground' }),
        {
          'content-type': PB,
          accept: PB_ACCEPT,
        },
      );
      assert.equal(deleted.status, 200, `${apiVersion}: ${deleted.body.toString()}`);
    }
    const all = await send(server, 'DELETE', WIDGETS, deleteOptions('meta.k8s.io/v1', { dryRun: ['All'] }), {
      'content-type': PB,
    });
    assert.equal(all.status, 200, all.body.toString());
  });

  it('fuzzed protobuf bodies are 400s (never a 500 or a crash) and the server keeps answering', async () => {
    const samples = [
      readFileSync(join(FIXTURES, 'create-deployment.1.33.pb')),
      readFileSync(join(FIXTURES, 'create-service-clusterip.1.33.pb')),
      readFileSync(join(FIXTURES, 'create-rolebinding.1.33.pb')),
    ];
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }),
      }),
    );
    const codes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...samples),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (sample, mutations) => {
          let body = Buffer.from(sample);
          for (const m of mutations) {
            const at = 4 + (m.at % Math.max(1, body.length - 4));
            if (m.kind === 'flip') body[Math.min(at, body.length - 1)] = m.value;
            else if (m.kind === 'cut') body = body.subarray(0, at);
            else body = Buffer.concat([body.subarray(0, at), m.bytes, body.subarray(at)]);
          }
          const answer = await send(server, 'POST', '/api/v1/namespaces/fuzz/configmaps', body, { 'content-type': PB });
          codes.set(answer.status, (codes.get(answer.status) ?? 0) + 1);
          // 400 for what does not decode; 404 (no namespace "fuzz") or a 4xx of the write path
          // for what still decodes into some object.
          assert.ok(answer.status >= 400 && answer.status < 500, `${answer.status}: ${answer.body.toString()}`);
        },
      ),
      { numRuns: 300 },
    );
    assert.ok((codes.get(400) ?? 0) > 0, JSON.stringify([...codes]));
    const health = await send(server, 'GET', '/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.body.toString(), 'ok');
  });
});
