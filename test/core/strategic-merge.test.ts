import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { deepFreeze } from '../../src/core/equal.js';
import { applyMergePatch } from '../../src/core/merge-patch.js';
import { ConfigMap, Deployment, Pod, Service } from '../../src/core/resources.js';
import { applyStrategicMergePatch, strategicListType, strategicMergeKey } from '../../src/core/strategic-merge.js';

const CR = { apiVersion: 'example.com/v1', kind: 'Widget' };

interface TestPod {
  metadata: { name: string; finalizers?: string[] };
  spec: { containers: Record<string, unknown>[]; volumes: { name: string }[]; [field: string]: unknown };
}

function pod(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): TestPod {
  return deepFreeze({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec, ...extra }) as unknown as TestPod;
}

describe('strategicMergeKey / strategicListType', () => {
  const cases: [typeof Pod | typeof Deployment | typeof Service | typeof CR, string, string | undefined][] = [
    [Pod, 'spec.containers', 'name'],
    [Pod, 'spec.initContainers', 'name'],
    [Pod, 'spec.containers.env', 'name'],
    [Pod, 'spec.containers.ports', 'containerPort'],
    [Pod, 'spec.containers.volumeMounts', 'mountPath'],
    [Pod, 'spec.volumes', 'name'],
    [Pod, 'spec.imagePullSecrets', 'name'],
    [Deployment, 'spec.template.spec.containers', 'name'],
    [Deployment, 'spec.template.metadata.ownerReferences', 'uid'],
    [Deployment, 'status.conditions', 'type'],
    [Service, 'spec.ports', 'port'],
    [Pod, 'metadata.ownerReferences', 'uid'],
    [CR, 'metadata.ownerReferences', 'uid'],
    [Pod, 'spec.tolerations', undefined],
    [Pod, 'metadata.finalizers', undefined],
    [CR, 'spec.containers', undefined],
    [CR, 'status.conditions', undefined],
  ];
  for (const [type, path, want] of cases) {
    it(`${type.kind} ${path} -> ${want}`, () => assert.equal(strategicMergeKey(type, path.split('.')), want));
  }
  it('finalizers are a set for every type', () => {
    assert.deepEqual(strategicListType(ConfigMap, ['metadata', 'finalizers']), { type: 'set' });
    assert.deepEqual(strategicListType(CR, ['metadata', 'finalizers']), { type: 'set' });
  });
});

describe('applyStrategicMergePatch', () => {
  it('merges maps, deletes on null, and does not mutate the input', () => {
    const doc = deepFreeze({ metadata: { name: 'a', labels: { x: '1', y: '2' } }, data: { k: 'v' } });
    const out = applyStrategicMergePatch(doc, { metadata: { labels: { x: null, z: '3' } } }, ConfigMap);
    assert.deepEqual(out, { metadata: { name: 'a', labels: { y: '2', z: '3' } }, data: { k: 'v' } });
    assert.equal(out.data, doc.data);
  });

  it('merges containers by name, keeping the others in order', () => {
    const doc = pod({
      containers: [
        { name: 'a', image: 'a:1' },
        { name: 'b', image: 'b:1' },
      ],
    });
    const out = applyStrategicMergePatch(
      doc,
      {
        spec: {
          containers: [
            { name: 'b', image: 'b:2' },
            { name: 'c', image: 'c:1' },
          ],
        },
      },
      Pod,
    );
    assert.deepEqual(out.spec.containers, [
      { name: 'a', image: 'a:1' },
      { name: 'b', image: 'b:2' },
      { name: 'c', image: 'c:1' },
    ]);
  });

  it('merges env by name, ports by containerPort, volumeMounts by mountPath inside containers', () => {
    const doc = pod({
      containers: [
        {
          name: 'a',
          env: [{ name: 'X', value: '1' }],
          ports: [{ containerPort: 80, name: 'http' }],
          volumeMounts: [{ mountPath: '/data', name: 'd' }],
        },
      ],
    });
    const out = applyStrategicMergePatch(
      doc,
      {
        spec: {
          containers: [
            {
              name: 'a',
              env: [{ name: 'Y', value: '2' }],
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              volumeMounts: [{ mountPath: '/data', readOnly: true }],
            },
          ],
        },
      },
      Pod,
    );
    assert.deepEqual(out.spec.containers[0], {
      name: 'a',
      env: [
        { name: 'X', value: '1' },
        { name: 'Y', value: '2' },
      ],
      ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
      volumeMounts: [{ mountPath: '/data', name: 'd', readOnly: true }],
    });
  });

  it('merges volumes and imagePullSecrets by name, Deployment template containers by name', () => {
    const doc = pod({ volumes: [{ name: 'v', emptyDir: {} }], imagePullSecrets: [{ name: 'r1' }] });
    const out = applyStrategicMergePatch(
      doc,
      { spec: { volumes: [{ name: 'w', emptyDir: {} }], imagePullSecrets: [{ name: 'r2' }] } },
      Pod,
    );
    assert.deepEqual(
      out.spec.volumes.map((v: { name: string }) => v.name),
      ['v', 'w'],
    );
    assert.deepEqual(out.spec.imagePullSecrets, [{ name: 'r1' }, { name: 'r2' }]);
    const dep = deepFreeze({ spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: '1' }] } } } });
    const d2 = applyStrategicMergePatch(
      dep,
      { spec: { template: { spec: { containers: [{ name: 'a', image: '2' }] } } } },
      Deployment,
    );
    assert.deepEqual(d2.spec.template.spec.containers, [{ name: 'a', image: '2' }]);
  });

  it('treats finalizers as a set and ownerReferences by uid', () => {
    const doc = deepFreeze({
      metadata: {
        name: 'a',
        finalizers: ['f1'],
        ownerReferences: [{ uid: 'u1', name: 'o1', kind: 'X', apiVersion: 'v1' }],
      },
    });
    const out = applyStrategicMergePatch(
      doc,
      {
        metadata: {
          finalizers: ['f1', 'f2'],
          ownerReferences: [
            { uid: 'u1', controller: true },
            { uid: 'u2', name: 'o2' },
          ],
        },
      },
      ConfigMap,
    );
    assert.deepEqual(out.metadata.finalizers, ['f1', 'f2']);
    assert.deepEqual(out.metadata.ownerReferences, [
      { uid: 'u1', name: 'o1', kind: 'X', apiVersion: 'v1', controller: true },
      { uid: 'u2', name: 'o2' },
    ]);
  });

  it('merges status.conditions by type and Service ports by port', () => {
    const dep = deepFreeze({
      status: {
        conditions: [
          { type: 'Available', status: 'False' },
          { type: 'Progressing', status: 'True' },
        ],
      },
    });
    const out = applyStrategicMergePatch(
      dep,
      { status: { conditions: [{ type: 'Available', status: 'True' }] } },
      Deployment,
    );
    assert.deepEqual(out.status.conditions, [
      { type: 'Available', status: 'True' },
      { type: 'Progressing', status: 'True' },
    ]);
    const svc = deepFreeze({ spec: { ports: [{ port: 80, targetPort: 8080 }] } });
    const s2 = applyStrategicMergePatch(svc, { spec: { ports: [{ port: 80, name: 'http' }, { port: 443 }] } }, Service);
    assert.deepEqual(s2.spec.ports, [{ port: 80, targetPort: 8080, name: 'http' }, { port: 443 }]);
  });

  it('replaces atomic lists and every list of a custom resource', () => {
    const doc = pod({ tolerations: [{ key: 'a' }], containers: [{ name: 'a', args: ['x', 'y'] }] });
    const out = applyStrategicMergePatch(
      doc,
      { spec: { tolerations: [{ key: 'b' }], containers: [{ name: 'a', args: ['z'] }] } },
      Pod,
    );
    assert.deepEqual(out.spec.tolerations, [{ key: 'b' }]);
    assert.deepEqual(out.spec.containers[0].args, ['z']);
    const cr = deepFreeze({ spec: { items: [{ name: 'a' }] } });
    assert.deepEqual(applyStrategicMergePatch(cr, { spec: { items: [{ name: 'b' }] } }, CR).spec.items, [
      { name: 'b' },
    ]);
  });

  it('$patch: delete removes a list element by key and a map', () => {
    const doc = pod({ containers: [{ name: 'a' }, { name: 'b' }], securityContext: { runAsUser: 1 } });
    const out = applyStrategicMergePatch(
      doc,
      { spec: { containers: [{ name: 'a', $patch: 'delete' }], securityContext: { $patch: 'delete' } } },
      Pod,
    );
    assert.deepEqual(out.spec, { containers: [{ name: 'b' }] });
  });

  it('$patch: replace replaces a map and, as a list element, the whole list', () => {
    const doc = pod({
      containers: [{ name: 'a', image: '1' }, { name: 'b' }],
      securityContext: { runAsUser: 1, fsGroup: 2 },
    });
    const out = applyStrategicMergePatch(
      doc,
      {
        spec: {
          containers: [{ $patch: 'replace' }, { name: 'c' }],
          securityContext: { $patch: 'replace', runAsGroup: 3 },
        },
      },
      Pod,
    );
    assert.deepEqual(out.spec, { containers: [{ name: 'c' }], securityContext: { runAsGroup: 3 } });
  });

  it('$patch: merge is the default and an unknown directive fails', () => {
    const doc = pod({ securityContext: { runAsUser: 1 } });
    const out = applyStrategicMergePatch(doc, { spec: { securityContext: { $patch: 'merge', fsGroup: 2 } } }, Pod);
    assert.deepEqual(out.spec.securityContext, { runAsUser: 1, fsGroup: 2 });
    assert.throws(() => applyStrategicMergePatch(doc, { spec: { $patch: 'frob' } }, Pod), {
      code: 'KLOOP_INVALID_PATCH',
    });
  });

  it('$setElementOrder orders a keyed list and a set', () => {
    const doc = pod(
      { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
      { metadata: { name: 'p', finalizers: ['x', 'y'] } },
    );
    const out = applyStrategicMergePatch(
      doc,
      {
        metadata: { '$setElementOrder/finalizers': ['y', 'x'] },
        spec: {
          '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }],
          containers: [{ name: 'c', image: '2' }],
        },
      },
      Pod,
    );
    // b is not named: it keeps its place before c, as in the original list.
    assert.deepEqual(out.spec.containers, [{ name: 'b' }, { name: 'c', image: '2' }, { name: 'a' }]);
    assert.deepEqual(out.metadata.finalizers, ['y', 'x']);
  });

  it('$setElementOrder appends new elements where the order puts them', () => {
    const doc = pod({ containers: [{ name: 'a' }, { name: 'b' }] });
    const out = applyStrategicMergePatch(
      doc,
      {
        spec: {
          '$setElementOrder/containers': [{ name: 'n' }, { name: 'a' }, { name: 'b' }],
          containers: [{ name: 'n' }],
        },
      },
      Pod,
    );
    assert.deepEqual(out.spec.containers, [{ name: 'n' }, { name: 'a' }, { name: 'b' }]);
  });

  it('$retainKeys drops the keys it does not list', () => {
    const dep = deepFreeze({ spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } });
    const out = applyStrategicMergePatch(
      dep,
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      Deployment,
    );
    assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  });

  it('$deleteFromPrimitiveList removes values from a set', () => {
    const doc = deepFreeze({ metadata: { name: 'a', finalizers: ['f1', 'f2', 'f3'] } });
    const out = applyStrategicMergePatch(
      doc,
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['f2'] } },
      ConfigMap,
    );
    assert.deepEqual(out.metadata.finalizers, ['f1', 'f3']);
  });

  it('rejects a keyed-list element without its merge key and a non-object patch', () => {
    const doc = pod({ containers: [{ name: 'a' }] });
    assert.throws(() => applyStrategicMergePatch(doc, { spec: { containers: [{ image: 'x' }] } }, Pod), {
      code: 'KLOOP_INVALID_PATCH',
      message: /does not contain declared merge key: name/,
    });
    assert.throws(() => applyStrategicMergePatch(doc, [1], Pod), { code: 'KLOOP_INVALID_PATCH' });
  });
});

describe('applyStrategicMergePatch: property', () => {
  const fcJson = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), tie('arr'), tie('obj')),
    arr: fc.array(tie('value'), { maxLength: 3 }),
    obj: fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.oneof(tie('value'), fc.constant(null)), { maxKeys: 3 }),
  }));
  it('without keyed lists or directives it is a merge patch', () => {
    fc.assert(
      fc.property(fcJson.obj, fcJson.obj, (doc, patch) => {
        const frozen = deepFreeze(structuredClone(doc));
        assert.deepEqual(applyStrategicMergePatch(frozen, patch, CR), applyMergePatch(frozen, patch));
      }),
      { numRuns: 300 },
    );
  });
});

describe('applyStrategicMergePatch: big lists (a 3 MiB patch must not stall the server)', () => {
  // Each list below is about 1.5 MiB as JSON. Merged by scanning the list for each element, the
  // first took 55 s on the 2-core test machine; indexed by merge key it takes milliseconds. The
  // timeout guards the complexity, not a speed figure (bench/hostile.ts measures that).
  const N = 50_000;
  const names = Array.from({ length: N }, (_, i) => `c${i}`);

  it('merges, deletes and reorders 50,000 keyed elements', { timeout: 20_000 }, () => {
    const doc = pod({ containers: names.slice(0, 10).map((name) => ({ name, image: 'old' })) });
    const merged = applyStrategicMergePatch(
      doc,
      { spec: { containers: names.map((name) => ({ name, image: 'x' })) } },
      Pod,
    );
    const containers = merged.spec.containers;
    assert.equal(containers.length, N);
    assert.deepEqual(containers[0], { name: 'c0', image: 'x' });
    assert.deepEqual(containers[N - 1], { name: `c${N - 1}`, image: 'x' });
    const deleted = applyStrategicMergePatch(
      merged,
      { spec: { containers: names.map((name) => ({ name, $patch: 'delete' })) } },
      Pod,
    );
    assert.deepEqual((deleted.spec as { containers: unknown[] }).containers, []);
    const order = [...names].reverse().map((name) => ({ name }));
    const reordered = applyStrategicMergePatch(merged, { spec: { '$setElementOrder/containers': order } }, Pod);
    assert.equal(reordered.spec.containers[0].name, `c${N - 1}`);
  });

  it('adds 100,000 set elements and deletes them from a primitive list', { timeout: 20_000 }, () => {
    const doc = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', finalizers: ['a'] } };
    const many = Array.from({ length: 2 * N }, (_, i) => `f${i}`);
    const added = applyStrategicMergePatch(doc, { metadata: { finalizers: many } }, Pod);
    assert.equal((added.metadata.finalizers as string[]).length, 2 * N + 1);
    const removed = applyStrategicMergePatch(added, { metadata: { '$deleteFromPrimitiveList/finalizers': many } }, Pod);
    assert.deepEqual(removed.metadata.finalizers, ['a']);
  });
});
