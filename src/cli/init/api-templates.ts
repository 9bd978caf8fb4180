/**
 * The files `kloop create api KIND` writes (and `kloop init` for its first kind): the resource
 * definition, its controller and a test on the emulator. Each kind gets a small, complete
 * example of the framework's way: the controller applies a ConfigMap it owns (nothing is sent
 * when the cache already holds it) and records what it did in the status subresource.
 */

/** Names of one API, derived from its kind. */
export interface ApiNames {
  /** `Greeting` */
  kind: string;
  /** `greeting`: file names, controller name. */
  lower: string;
  /** `greetings` */
  plural: string;
  group: string;
  version: string;
  /** Operator name: field manager of the controller's writes. */
  operator: string;
}

/** `src/api/<kind>.ts`: the resource defined once (type, resource type, CRD). */
export function resourceFile(n: ApiNames): string {
  return `import { defineResource, K8s, Type } from 'kloop';

/** A status condition, as metav1.Condition (what setCondition writes). */
const Condition = Type.Object({
  type: Type.String({ minLength: 1 }),
  status: K8s.Enum(['True', 'False', 'Unknown']),
  reason: Type.String(),
  message: Type.String(),
  lastTransitionTime: Type.String({ format: 'date-time' }),
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
});

/** The ${n.kind} resource: its TypeScript type, resource type and CRD come from this definition. */
export const ${n.kind} = defineResource({
  group: '${n.group}',
  version: '${n.version}',
  kind: '${n.kind}',
  description: 'A message the operator publishes in a ConfigMap.',
  spec: Type.Object({
    message: Type.String({ minLength: 1, maxLength: 1024, description: 'What the ConfigMap says.' }),
  }),
  status: Type.Object({
    observedGeneration: Type.Optional(Type.Integer()),
    configMap: Type.Optional(Type.String()),
    conditions: Type.Optional(K8s.ListMap(Condition, ['type'])),
  }),
  printerColumns: [
    { name: 'Message', type: 'string', jsonPath: '.spec.message' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  ],
});

/** A ${n.kind} object. */
export type ${n.kind}Object = typeof ${n.kind}.Object;
`;
}

/** `src/controllers/<kind>.ts`: the controller, registered by `setup(mgr)` in `src/operator.ts`. */
export function controllerFile(n: ApiNames): string {
  return `import { ConfigMap, generationChanged, type Manager, setCondition } from 'kloop';
import { ${n.kind} } from '../api/${n.lower}.js';

/** Field manager of this controller's applies. */
const FIELD_MANAGER = '${n.operator}';

/**
 * Reconciles each ${n.kind} into a ConfigMap of the same name that it owns, and reports it in
 * status. The RBAC it needs is derived from these declarations (kloop manifests).
 */
export function setup${n.kind}Controller(mgr: Manager): void {
  mgr
    .controller('${n.lower}')
    .for(${n.kind}, { predicates: [generationChanged()] })
    .owns(ConfigMap)
    .reconcile(async (req, ctx) => {
      const object = await ctx.client.get(${n.kind}, req.key);
      if (object === undefined || object.metadata.deletionTimestamp) return; // owned objects go with it
      const name = object.metadata.name!;
      await ctx.client.apply(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            namespace: object.metadata.namespace,
            name,
            ownerReferences: [
              {
                apiVersion: ${n.kind}.apiVersion,
                kind: ${n.kind}.kind,
                name,
                uid: object.metadata.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          data: { message: object.spec.message },
        },
        { fieldManager: FIELD_MANAGER, force: true },
      );
      await ctx.client.mutateStatus(${n.kind}, req.key, (draft) => {
        draft.status = {
          ...draft.status,
          observedGeneration: object.metadata.generation,
          configMap: name,
          conditions: setCondition(draft.status?.conditions, {
            type: 'Ready',
            status: 'True',
            reason: 'Published',
            message: \`ConfigMap \${name} holds the message\`,
            observedGeneration: object.metadata.generation,
          }),
        };
      });
    });
}
`;
}

/**
 * `test/<kind>.test.ts`: the controller against the in-process emulator through `kloop/testing`,
 * as on a cluster: the CRD installed from the definition, a Manager built by the same \`setup\`
 * as production, and the writes it made counted.
 */
export function testFile(n: ApiNames): string {
  return `import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { ConfigMap, type Manager } from 'kloop';
import { recordWrites, startEmulator, startManager, type TestEmulator } from 'kloop/testing';
import { ${n.kind} } from '../src/api/${n.lower}.js';
import { managerOptions, resources, setup } from '../src/operator.js';

let emulator: TestEmulator;
let mgr: Manager;

before(async () => {
  // An emulator in this process, serving the operator's CRDs; no cluster, no container.
  emulator = await startEmulator({ resources });
  // The production options without what a test does not need: one replica, no listener.
  // A forgotten CRD fails here at once, naming the resource.
  mgr = await startManager(emulator, setup, { ...managerOptions, leaderElection: undefined, http: undefined });
});

after(async () => {
  await mgr?.stop();
  await emulator?.stop();
});

it('publishes the message of a ${n.kind} in a ConfigMap it owns, and reports it in status', async () => {
  const writes = recordWrites(mgr);
  await emulator.client.create({
    ...${n.kind},
    metadata: { namespace: 'default', name: 'hello' },
    spec: { message: 'Hello from ${n.kind}' },
  });
  // Ready=True for the object's current generation (observedGeneration), as kstatus reads it.
  const done = await emulator.waitForCondition({ ...${n.kind}, namespace: 'default', name: 'hello' }, 'Ready');
  assert.equal(done.status?.configMap, 'hello');
  const cm = await emulator.client.get(ConfigMap, { namespace: 'default', name: 'hello' });
  assert.equal(cm.data?.message, 'Hello from ${n.kind}');
  assert.equal(cm.metadata.ownerReferences?.[0]?.kind, '${n.kind}');
  // One apply: a reconcile that finds the ConfigMap as wanted in the cache sends nothing.
  await writes.expect({ controller: '${n.lower}', type: ConfigMap, kind: 'apply', count: 1 });
});
`;
}
