// Typed objects end to end, at the type level: the built-in constants and defined resources carry
// their object types through reads, drafts, predicates, informer events and collections, and what
// the cache hands out is deep readonly. Two checks: expect-type assertions (checked by
// `tsc --noEmit`), and snippets compiled the way a user's project compiles them (`import 'kloop'`,
// strict), asserting that the good ones compile without a cast and the bad ones fail as they should.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { expectTypeOf } from 'expect-type';
import ts from 'typescript';
import { linkPackage } from '../../scripts/doc-examples.js';
import { type Collection, derive, fromInformer } from '../../src/collections/index.js';
import { ControllerRevision, EndpointSlice } from '../../src/core/index.js';
import {
  type CachedClientApi,
  ConfigMap,
  type DeepReadonly,
  Deployment,
  defineResource,
  type InformerEvent,
  type KubeClient,
  type KubeObject,
  type Manager,
  type ObjectOf,
  Pod,
  Type,
  type TypeRef,
} from '../../src/index.js';

const Memcached = defineResource({
  group: 'cache.example.com',
  version: 'v1',
  kind: 'Memcached',
  spec: Type.Object({ size: Type.Integer({ maximum: 10 }), image: Type.String() }),
  status: Type.Object({ readyReplicas: Type.Optional(Type.Integer()) }),
});

// Never called: its body is only type-checked.
async function typeChecks(client: KubeClient, cached: CachedClientApi, mgr: Manager): Promise<void> {
  const key = { namespace: 'default', name: 'x' };

  const d = await client.get(Deployment, key);
  expectTypeOf(d.spec?.replicas).toEqualTypeOf<number | undefined>();
  expectTypeOf(d.apiVersion).toEqualTypeOf<'apps/v1'>();
  expectTypeOf(d).toEqualTypeOf<Deployment>();
  expectTypeOf((await client.list(Pod)).items[0]!.spec?.containers[0]?.image).toEqualTypeOf<string | undefined>();
  expectTypeOf(await client.get({ apiVersion: 'x.dev/v1', kind: 'Thing' }, key)).toEqualTypeOf<KubeObject>();

  const cachedDeployment = await cached.get(Deployment, key);
  expectTypeOf(cachedDeployment).toEqualTypeOf<DeepReadonly<Deployment> | undefined>();
  const containers = cachedDeployment!.spec!.template.spec!.containers;
  expectTypeOf(containers[0]!.image).toEqualTypeOf<string | undefined>();
  // @ts-expect-error cached lists are readonly at every depth
  containers.push({ name: 'x' });
  expectTypeOf(await cached.list(ConfigMap)).toEqualTypeOf<DeepReadonly<ConfigMap>[]>();
  await cached.mutate(Deployment, key, (draft) => {
    expectTypeOf(draft).toEqualTypeOf<Deployment>();
    draft.spec!.replicas = 3; // drafts are the caller's copy: writable
  });
  const outcome = await cached.mutateStatus(Memcached, key, (draft) => {
    draft.status = { readyReplicas: 1 };
  });
  expectTypeOf(outcome.object?.status?.readyReplicas).toEqualTypeOf<number | undefined>();

  const m = await cached.get(Memcached, key);
  expectTypeOf(m?.spec.size).toEqualTypeOf<number | undefined>();
  expectTypeOf<ObjectOf<typeof Memcached>>().toEqualTypeOf<typeof Memcached.Object>();
  expectTypeOf<ObjectOf<typeof Deployment>>().toEqualTypeOf<Deployment>();
  expectTypeOf<ObjectOf<TypeRef>>().toEqualTypeOf<KubeObject>();

  const deployments = mgr.informer(Deployment);
  deployments.subscribe((event) => {
    expectTypeOf(event).toEqualTypeOf<InformerEvent<DeepReadonly<Deployment>>>();
    expectTypeOf(event.object.status?.readyReplicas).toEqualTypeOf<number | undefined>();
  });
  mgr
    .controller('typed')
    .for(Memcached, { predicates: [{ name: 'big', test: (e) => e.object.spec.size > 5 }] })
    .owns(Deployment)
    .watches(Pod, (pod) => {
      expectTypeOf(pod.spec?.nodeName).toEqualTypeOf<string | undefined>();
      return undefined;
    })
    .reconcile(async (req, ctx) => {
      const site = await ctx.client.get(Memcached, req.key);
      expectTypeOf(site?.spec.image).toEqualTypeOf<string | undefined>();
    });

  // Scoped informers (one namespace, or several through one view) and the factory keep the types.
  const scoped = mgr.informer(Deployment, { namespace: 'team-a' });
  expectTypeOf(scoped.get(key)).toEqualTypeOf<DeepReadonly<Deployment> | undefined>();
  expectTypeOf(mgr.informers.informer(Pod).list()).toEqualTypeOf<DeepReadonly<Pod>[]>();
  expectTypeOf((await client.get(EndpointSlice, key)).endpoints[0]?.addresses).toEqualTypeOf<string[]>();
  expectTypeOf(await cached.get(ControllerRevision, key)).toEqualTypeOf<DeepReadonly<ControllerRevision> | undefined>();

  // Collections: items and transform inputs are the informer's typed, readonly objects.
  const pods = fromInformer(mgr.informer(Pod));
  expectTypeOf(pods).toEqualTypeOf<Collection<DeepReadonly<Pod>>>();
  const nodes = derive('nodes', pods, (_ctx, pod) => {
    expectTypeOf(pod.spec?.nodeName).toEqualTypeOf<string | undefined>();
    return { key: pod.metadata.name ?? '', node: pod.spec?.nodeName ?? '' };
  });
  expectTypeOf(nodes.list()[0]!.node).toEqualTypeOf<string>();
}
void typeChecks;

/** Compiles `code` as a module of a project where `kloop` is this repository; returns its errors. */
function compile(files: Record<string, string>): { file: string; line: number; code: number; text: string }[] {
  const root = resolve(import.meta.dirname, '../..');
  const dir = mkdtempSync(join(tmpdir(), 'kloop-typed-'));
  try {
    linkPackage(root, dir);
    const paths = Object.entries(files).map(([name, code]) => {
      const path = join(dir, name);
      writeFileSync(path, code);
      return path;
    });
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      customConditions: ['kloop-source'],
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
    };
    const program = ts.createProgram({ rootNames: paths, options });
    return paths.flatMap((path) => {
      const sf = program.getSourceFile(path)!;
      return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => ({
        file: path.slice(dir.length + 1),
        line: d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line + 1,
        code: d.code,
        text: ts.flattenDiagnosticMessageText(d.messageText, ' '),
      }));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('typed objects as a user project compiles them', () => {
  it("reads a Deployment's spec.replicas without a cast; writes to cached objects and wrong fields fail", () => {
    const errors = compile({
      'good.ts': `
import { ConfigMap, Deployment, KubeClient, Manager, defineResource, Type } from 'kloop';

const client = KubeClient.fromKubeconfig();
const key = { namespace: 'default', name: 'web' };
const replicas: number | undefined = (await client.get(Deployment, key)).spec?.replicas;

const mgr = new Manager();
const Memcached = defineResource({
  group: 'cache.example.com', version: 'v1', kind: 'Memcached',
  spec: Type.Object({ size: Type.Integer() }),
});
mgr.controller('c').for(Memcached).owns(Deployment).reconcile(async (req, ctx) => {
  const dep = await ctx.client.get(Deployment, req.key);
  const wanted: number = dep?.spec?.replicas ?? 1;
  const cache = await ctx.client.get(Memcached, req.key);
  const size: number = cache?.spec.size ?? 0;
  await ctx.client.mutate(ConfigMap, req.key, (d) => {
    d.data = { ...d.data, replicas: String(wanted + size + (replicas ?? 0)) };
  });
});
export {};
`,
      'bad.ts': `
import { ConfigMap, Deployment, Manager } from 'kloop';

const mgr = new Manager();
const key = { namespace: 'default', name: 'web' };
const dep = await mgr.client.get(Deployment, key);
dep!.spec!.replicas = 3;
const cm = await mgr.client.get(ConfigMap, key);
cm?.spec;
export {};
`,
    });
    const good = errors.filter((e) => e.file === 'good.ts');
    assert.deepEqual(good, [], 'the good snippet compiles');
    const bad = errors.filter((e) => e.file === 'bad.ts').map((e) => [e.line, e.code]);
    assert.deepEqual(
      bad,
      [
        [7, 2540], // Cannot assign to 'replicas' because it is a read-only property.
        [9, 2339], // Property 'spec' does not exist on a ConfigMap.
      ],
      JSON.stringify(errors),
    );
  });
});
