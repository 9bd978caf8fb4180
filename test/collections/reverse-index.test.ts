// Every filter kind is reverse-indexed: a change that no fetch selected (before or after)
// calls no transform, and a related change calls only the transforms whose fetch it touches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Collection,
  CollectionRegistry,
  derive,
  type Filter,
  index,
  staticCollection,
} from '../../src/collections/index.js';
import type { KubeObject } from '../../src/core/types.js';

interface Pod extends KubeObject {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  node?: string;
}

interface Svc extends KubeObject {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { selector?: Record<string, string> };
}

function pod(ns: string, name: string, labels: Record<string, string>, node?: string): Pod {
  return { metadata: { name, namespace: ns, labels }, node };
}

function build() {
  const registry = new CollectionRegistry({ scheduling: 'manual' });
  const pods = staticCollection<Pod>('pods', [], { registry });
  const svcs = staticCollection<Svc>('svcs', [], { registry });
  index(pods, 'node', (p) => p.node);
  // 20 namespaces x 20 services x 5 pods each.
  const initialPods: Pod[] = [];
  const initialSvcs: Svc[] = [];
  for (let n = 0; n < 20; n++) {
    for (let s = 0; s < 20; s++) {
      initialSvcs.push({
        metadata: { name: `s${s}`, namespace: `ns${n}`, labels: { svc: `s${s}` } },
        spec: { selector: { app: `s${s}` } },
      });
      for (let p = 0; p < 5; p++)
        initialPods.push(pod(`ns${n}`, `s${s}-p${p}`, { app: `s${s}`, rev: `${p}` }, `node${p}`));
    }
  }
  pods.replace(initialPods);
  svcs.replace(initialSvcs);
  const calls = new Map<string, number>();
  const counted = <O>(
    name: string,
    input: Collection<Svc> | Collection<Pod>,
    fetch: (svc: Svc & Pod) => Filter<Pod> | Filter<Svc>,
    from: 'pods' | 'svcs',
  ) =>
    derive(
      name,
      input as Collection<Svc & Pod>,
      (ctx, x) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        const target = (from === 'pods' ? pods : svcs) as Collection<unknown>;
        return {
          key: { namespace: x.metadata.namespace, name: x.metadata.name },
          n: ctx.fetch(target, fetch(x) as Filter<unknown>).length,
        } as O;
      },
      { registry },
    );
  counted('byKey', svcs, (s) => ({ key: { namespace: s.metadata.namespace, name: `${s.metadata.name}-p0` } }), 'pods');
  counted(
    'byKeys',
    svcs,
    (s) => ({
      keys: [`${s.metadata.namespace}/${s.metadata.name}-p1`, `${s.metadata.namespace}/${s.metadata.name}-p2`],
    }),
    'pods',
  );
  counted(
    'byNamespace',
    svcs,
    (s) => ({ namespace: s.metadata.namespace, where: () => s.metadata.name === 's0' }),
    'pods',
  );
  counted('byLabel', svcs, (s) => ({ namespace: s.metadata.namespace, labelSelector: s.spec.selector }), 'pods');
  counted('byLabelText', svcs, (s) => ({ labelSelector: `app=${s.metadata.name},rev in (0,1)` }), 'pods');
  counted('bySelects', pods, (p) => ({ namespace: p.metadata.namespace, selects: p.metadata.labels }), 'svcs');
  counted(
    'byIndex',
    svcs,
    (s) => ({ index: { name: 'node', value: `node-of-${s.metadata.namespace}-${s.metadata.name}` } }),
    'pods',
  );
  registry.flush();
  return { registry, pods, svcs, calls };
}

test('an unrelated change calls no transform, for every filter kind', () => {
  const { registry, pods, calls } = build();
  calls.clear();
  // A new pod in a new namespace with labels no selector mentions, on no watched node.
  pods.set(pod('elsewhere', 'x', { app: 'nobody' }, 'node-x'));
  registry.flush();
  // Its labels change, still unrelated.
  pods.set(pod('elsewhere', 'x', { app: 'still-nobody', rev: '9' }, 'node-y'));
  registry.flush();
  pods.delete('elsewhere/x');
  registry.flush();
  assert.deepEqual(
    Object.fromEntries(calls),
    { bySelects: 2 },
    'only the pod own derive (bySelects runs over pods) ran',
  );
  registry.close();
});

test("one pod's label change recomputes only the outputs that selected it before or after", () => {
  const { registry, pods, calls } = build();
  calls.clear();
  // ns3/s4-p3 moves from service s4 to service s7 (same namespace).
  pods.set(pod('ns3', 's4-p3', { app: 's7', rev: '3' }, 'node3'));
  registry.flush();
  assert.deepEqual(Object.fromEntries(calls), {
    byLabel: 2, // ns3/s4 (lost it) and ns3/s7 (gained it)
    byNamespace: 1, // ns3/s0, whose `where` accepts every pod of ns3
    bySelects: 1, // the pod itself
  });
  calls.clear();
  // A pod matched by key, keys, text selector and namespace+where.
  pods.set(pod('ns0', 's0-p0', { app: 's0', rev: '0', extra: 'y' }, 'node0'));
  registry.flush();
  assert.deepEqual(Object.fromEntries(calls), {
    byKey: 1,
    byNamespace: 1, // only ns0/s0's where accepts it; the other 19 services of ns0 are not called
    byLabel: 1,
    byLabelText: 20, // `app=s0,rev in (0,1)` has no namespace: s0 of all 20 namespaces
    bySelects: 1,
  });
  registry.close();
});

test('a service selector change recomputes only the pods it selects before or after', () => {
  const { registry, svcs, calls } = build();
  calls.clear();
  svcs.set({ metadata: { name: 's1', namespace: 'ns5', labels: { svc: 's1' } }, spec: { selector: { app: 's2' } } });
  registry.flush();
  // bySelects: the 5 pods of s1 and the 5 of s2 in ns5; the service's own outputs: byLabel and
  // every derive over services whose input changed.
  assert.equal(calls.get('bySelects'), 10);
  assert.equal(calls.get('byLabel'), 1);
  // And nothing else: each derive over services runs once, for the changed service alone.
  assert.deepEqual(Object.fromEntries(calls), {
    byKey: 1,
    byKeys: 1,
    byNamespace: 1,
    byLabel: 1,
    byLabelText: 1,
    byIndex: 1,
    bySelects: 10,
  });
  registry.close();
});

test('an index value change recomputes only the outputs that fetched the old or the new value', () => {
  const { registry, pods, calls } = build();
  calls.clear();
  // ns2/s3-p4 moves onto the node ns0/s0's byIndex fetch watches, then onto ns1/s1's. Every
  // change also reaches the fetches that hold the pod anyway: ns2/s3's selector and ns2/s0's
  // namespace+where (an output may read any field of what it fetched).
  const holders = { byLabel: 1, byNamespace: 1 };
  pods.set(pod('ns2', 's3-p4', { app: 's3', rev: '4' }, 'node-of-ns0-s0'));
  registry.flush();
  assert.deepEqual(Object.fromEntries(calls), { ...holders, bySelects: 1, byIndex: 1 });
  calls.clear();
  pods.set(pod('ns2', 's3-p4', { app: 's3', rev: '4' }, 'node-of-ns1-s1'));
  registry.flush();
  assert.deepEqual(
    Object.fromEntries(calls),
    { ...holders, bySelects: 1, byIndex: 2 },
    'the old value (ns0/s0) and the new (ns1/s1)',
  );
  calls.clear();
  pods.delete('ns2/s3-p4');
  registry.flush();
  // Gone: ns1/s1's index fetch and the holders; the pod's own bySelects output just goes.
  assert.deepEqual(Object.fromEntries(calls), { ...holders, byIndex: 1 });
  registry.close();
});

test('a change matched only through keys recomputes only the outputs that listed the key', () => {
  const { registry, pods, calls } = build();
  calls.clear();
  pods.set(pod('ns9', 's9-p2', { app: 's9', rev: '2', extra: 'z' }, 'node2'));
  registry.flush();
  // ns9/s9's keys list it; ns9/s9's selector and ns9/s0's namespace+where hold it.
  assert.deepEqual(Object.fromEntries(calls), { byKeys: 1, byLabel: 1, byNamespace: 1, bySelects: 1 });
  registry.close();
});
