/**
 * The cluster around the workloads, on a manual clock: simulated Nodes and a Node failure, the
 * scheduler and the simulated kubelet (Pod status as kubelet writes it, scripted outcomes,
 * graceful deletion), admission-added Pod fields, Services (ClusterIP and NodePort allocation,
 * upstream conflict messages, the `kubernetes` Service), EndpointSlices and Endpoints following
 * ready Pods, namespace bootstrap objects, and the cluster's writes counted apart from clients'.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startApiServer } from '../../src/apiserver/index.js';
import { APPS, cond, deployment, NS, type Obj, type Sim, startSim } from './controllers-helpers.js';

function pod(name: string, annotations: Record<string, string> = {}, extra: Record<string, unknown> = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name }, annotations },
    spec: {
      containers: [{ name: 'c', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 8080 }] }],
      ...extra,
    },
  };
}

describe('the simulated cluster', () => {
  let sim: Sim;
  beforeEach(async () => {
    sim = await startSim({ simulation: { podRules: [{ labelSelector: 'tier=broken', outcome: 'crash-loop' }] } });
  });
  afterEach(() => sim.server.stop());

  it('has Ready Nodes with the kubelet status kwok reports', async () => {
    const nodes = await sim.list('/api/v1/nodes');
    assert.deepEqual(
      nodes.map((n) => n.metadata.name),
      ['node-1', 'node-2', 'node-3'],
    );
    const n = nodes[0];
    assert.deepEqual(
      n.status?.conditions.map((c: Obj) => [c.type, c.status, c.reason]),
      [
        ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
        ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
        ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
        ['Ready', 'True', 'KubeletReady'],
      ],
    );
    assert.equal(cond(n, 'Ready')?.message, 'kubelet is posting ready status');
    assert.equal(n.spec?.podCIDR, '10.244.0.0/24');
    assert.deepEqual(n.status?.addresses, [
      { type: 'InternalIP', address: '172.18.0.2' },
      { type: 'Hostname', address: 'node-1' },
    ]);
    assert.equal(n.metadata.labels?.['kubernetes.io/hostname'], 'node-1');
    assert.equal(n.status?.nodeInfo.kubeletVersion, 'v1.33.1');
    assert.equal(n.metadata.managedFields?.[0].manager, 'kubelet');
  });

  it('schedules, starts and readies a Pod as kube-scheduler and the kubelet write it', async () => {
    const created = await sim.create(`${NS}/pods`, pod('p'));
    // Admission: the fields a real cluster adds to every Pod.
    assert.equal(created.spec?.serviceAccountName, 'default');
    assert.equal(created.spec?.priority, 0);
    assert.match(created.spec?.volumes[0].name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(created.spec?.containers[0].volumeMounts[0], {
      name: created.spec?.volumes[0].name,
      readOnly: true,
      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
    });
    assert.deepEqual(
      created.spec?.tolerations.map((t: Obj) => [t.key, t.effect, t.tolerationSeconds]),
      [
        ['node.kubernetes.io/not-ready', 'NoExecute', 300],
        ['node.kubernetes.io/unreachable', 'NoExecute', 300],
      ],
    );
    let p = await sim.get(`${NS}/pods/p`);
    assert.ok(p.spec?.nodeName, 'bound');
    assert.equal(cond(p, 'PodScheduled')?.status, 'True');
    assert.equal(p.status?.phase, 'Pending');
    assert.equal(p.status?.containerStatuses[0].state.waiting.reason, 'ContainerCreating');
    await sim.advance(100);
    p = await sim.get(`${NS}/pods/p`);
    assert.equal(p.status?.phase, 'Running');
    assert.equal(cond(p, 'Ready')?.status, 'False');
    await sim.advance(100);
    p = await sim.get(`${NS}/pods/p`);
    assert.deepEqual(
      p.status?.conditions.map((c: Obj) => [c.type, c.status]),
      [
        ['PodReadyToStartContainers', 'True'],
        ['Initialized', 'True'],
        ['Ready', 'True'],
        ['ContainersReady', 'True'],
        ['PodScheduled', 'True'],
      ],
    );
    assert.match(p.status?.podIP, /^10\.244\.\d\.\d+$/);
    assert.deepEqual(p.status?.podIPs, [{ ip: p.status?.podIP }]);
    assert.match(p.status?.hostIP, /^172\.18\.0\.\d$/);
    assert.equal(p.status?.qosClass, 'BestEffort');
    const c = p.status?.containerStatuses[0];
    assert.equal(c.image, 'docker.io/library/nginx:1.27');
    assert.match(c.containerID, /^containerd:\/\/[0-9a-f]{64}$/);
    assert.deepEqual([c.ready, c.started, c.restartCount], [true, true, 0]);
    assert.ok(c.state.running.startedAt);
    const managers = (p.metadata.managedFields ?? []).map(
      (m) => `${m.manager}${m.subresource ? `/${m.subresource}` : ''}`,
    );
    assert.ok(!managers.includes('kube-scheduler'), `a binding records no managedFields: ${managers.join(',')}`);
    assert.ok(managers.includes('kubelet/status'), managers.join(','));
    assert.equal(
      sim.server.stats().controllers.count({ controller: 'scheduler', verb: 'create', resource: 'pods' }),
      1,
      'the scheduler bound it with one pods/binding create',
    );
  });

  it('plays scripted outcomes: crash loop, image pull error, exit code, never ready', async () => {
    await sim.create(`${NS}/pods`, { ...pod('crash'), metadata: { name: 'crash', labels: { tier: 'broken' } } });
    await sim.create(`${NS}/pods`, pod('pull', { 'kloop.dev/outcome': 'image-pull-error' }));
    await sim.create(`${NS}/pods`, pod('exit', { 'kloop.dev/outcome': 'exit:2' }, { restartPolicy: 'Never' }));
    await sim.create(`${NS}/pods`, pod('lazy', { 'kloop.dev/outcome': 'never-ready' }));
    await sim.advance(2000);
    let crash = await sim.get(`${NS}/pods/crash`);
    const cs = crash.status?.containerStatuses[0];
    assert.equal(cs.state.waiting.reason, 'CrashLoopBackOff');
    assert.match(cs.state.waiting.message, /^back-off 10s restarting failed container=c pod=crash_default\(/);
    assert.equal(cs.restartCount, 1);
    assert.equal(cs.lastState.terminated.exitCode, 1);
    assert.equal(crash.status?.phase, 'Running');
    await sim.advance(40_000);
    crash = await sim.get(`${NS}/pods/crash`);
    assert.equal(crash.status?.containerStatuses[0].restartCount, 3, 'back-off 10 s, then 20 s');
    const pull = await sim.get(`${NS}/pods/pull`);
    assert.equal(pull.status?.phase, 'Pending');
    assert.equal(pull.status?.containerStatuses[0].state.waiting.reason, 'ImagePullBackOff');
    assert.equal(pull.status?.containerStatuses[0].state.waiting.message, 'Back-off pulling image "nginx:1.27"');
    const exit = await sim.get(`${NS}/pods/exit`);
    assert.equal(exit.status?.phase, 'Failed');
    assert.deepEqual(
      [
        exit.status?.containerStatuses[0].state.terminated.exitCode,
        exit.status?.containerStatuses[0].state.terminated.reason,
      ],
      [2, 'Error'],
    );
    assert.equal(cond(exit, 'Ready')?.reason, 'PodFailed');
    const lazy = await sim.get(`${NS}/pods/lazy`);
    assert.equal(lazy.status?.phase, 'Running');
    assert.equal(cond(lazy, 'Ready')?.reason, 'ContainersNotReady');
    assert.equal(cond(lazy, 'Ready')?.message, 'containers with unready status: [c]');
  });

  it('graceful deletion: the kubelet stops the containers after its short delay; ignore-sigterm waits the grace', async () => {
    await sim.create(`${NS}/pods`, pod('quick'));
    await sim.create(
      `${NS}/pods`,
      pod('stubborn', { 'kloop.dev/outcome': 'ignore-sigterm' }, { terminationGracePeriodSeconds: 5 }),
    );
    await sim.advance(500);
    assert.equal((await sim.api.delete(`${NS}/pods/quick`)).status, 200);
    assert.equal((await sim.api.delete(`${NS}/pods/stubborn`)).status, 200);
    await sim.server.controllers.settle();
    assert.ok((await sim.get(`${NS}/pods/quick`)).metadata.deletionTimestamp, 'terminating first');
    await sim.advance(300);
    assert.equal((await sim.api.get(`${NS}/pods/quick`)).status, 404, 'gone after the kubelet delay');
    await sim.advance(4000);
    assert.equal((await sim.api.get(`${NS}/pods/stubborn`)).status, 200, 'still within its grace');
    await sim.advance(1000);
    assert.equal((await sim.api.get(`${NS}/pods/stubborn`)).status, 404);
  });

  it('a NotReady Node is tainted, its Pods turn NotReady after the grace, are evicted after 300 s and replaced', async () => {
    await sim.create(`${APPS}/deployments`, deployment('spread', 3, 'nginx:1.27'));
    await sim.advance(500);
    const victim = (await sim.list(`${NS}/pods?labelSelector=app%3Dspread`)).find((p) => p.spec?.nodeName === 'node-2');
    assert.ok(victim, 'one Pod per Node (least loaded first)');
    sim.server.controllers.setNodeReady('node-2', false);
    await sim.server.controllers.settle();
    const node = await sim.get('/api/v1/nodes/node-2');
    assert.equal(cond(node, 'Ready')?.status, 'False');
    assert.deepEqual(
      node.spec?.taints.map((t: Obj) => `${t.key}:${t.effect}`),
      ['node.kubernetes.io/not-ready:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute'],
    );
    await sim.advance(4000);
    assert.equal(
      cond(await sim.get(`${NS}/pods/${victim.metadata.name}`), 'Ready')?.status,
      'True',
      'within the grace',
    );
    await sim.advance(1500);
    assert.equal(cond(await sim.get(`${NS}/pods/${victim.metadata.name}`), 'Ready')?.status, 'False');
    const d = await sim.get(`${APPS}/deployments/spread`);
    assert.equal(d.status?.availableReplicas, 2);
    await sim.advance(300_000);
    const evicted = await sim.api.get<Obj>(`${NS}/pods/${victim.metadata.name}`);
    assert.equal(cond(evicted.body, 'DisruptionTarget')?.reason, 'DeletionByTaintManager');
    assert.ok(evicted.body.metadata.deletionTimestamp, 'evicted (its kubelet is down, so it stays terminating)');
    const live = (await sim.list(`${NS}/pods?labelSelector=app%3Dspread`)).filter((p) => !p.metadata.deletionTimestamp);
    assert.equal(live.length, 3);
    assert.ok(
      live.every((p) => p.spec?.nodeName !== 'node-2'),
      'the replacement avoids the tainted Node',
    );
    sim.server.controllers.setNodeReady('node-2', true);
    await sim.server.controllers.settle();
    assert.equal((await sim.get('/api/v1/nodes/node-2')).spec?.taints, undefined);
  });

  it('Services: ClusterIPs from the CIDR, NodePorts, headless, and the upstream conflicts', async () => {
    const k = await sim.get(`${NS}/services/kubernetes`);
    assert.equal(k.spec?.clusterIP, '10.96.0.1');
    assert.deepEqual(k.spec?.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: sim.server.port }]);
    assert.deepEqual(k.metadata.labels, { component: 'apiserver', provider: 'kubernetes' });
    const svc = await sim.create(`${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    const ip = String(svc.spec?.clusterIP);
    assert.match(ip, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    assert.deepEqual(
      [svc.spec?.clusterIPs, svc.spec?.ipFamilies, svc.spec?.ipFamilyPolicy, svc.spec?.type, svc.spec?.sessionAffinity],
      [[ip], ['IPv4'], 'SingleStack', 'ClusterIP', 'None'],
    );
    assert.deepEqual(svc.spec?.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    const clash = await sim.api.post(`${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'clash' },
      spec: { clusterIP: ip, ports: [{ port: 80 }] },
    });
    assert.equal(clash.status, 422);
    assert.equal(
      (clash.body as { message?: string }).message,
      `Service "clash" is invalid: spec.clusterIPs: Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: provided IP is already allocated`,
    );
    const foreign = await sim.api.post(`${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'foreign' },
      spec: { clusterIP: '10.0.0.5', ports: [{ port: 80 }] },
    });
    assert.equal(foreign.status, 422);
    assert.equal(
      (foreign.body as { message?: string }).message,
      'Service "foreign" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate IP 10.0.0.5: the provided network does not match the current range',
    );
    const outside = await sim.api.post(`${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'outside' },
      spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] },
    });
    assert.equal(outside.status, 422);
    assert.equal(
      (outside.body as { message?: string }).message,
      'Service "outside" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    const np = await sim.create(`${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'np' },
      spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    const nodePort = np.spec?.ports[0].nodePort;
    assert.ok(nodePort >= 30000 && nodePort <= 32767);
    assert.equal(np.spec?.externalTrafficPolicy, 'Cluster');
    const taken = await sim.api.post(`${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'taken' },
      spec: { type: 'NodePort', ports: [{ port: 80, nodePort }] },
    });
    assert.equal(
      (taken.body as { message?: string }).message,
      `Service "taken" is invalid: spec.ports[0].nodePort: Invalid value: ${nodePort}: provided port is already allocated`,
    );
    // A deleted Service frees its IP and its NodePort.
    const npIp = String(np.spec?.clusterIP);
    assert.equal((await sim.api.delete(`${NS}/services/np`)).status, 200);
    const reuse = await sim.api.post<Obj>(`${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'reuse' },
      spec: { type: 'NodePort', clusterIP: npIp, ports: [{ port: 80, nodePort }] },
    });
    assert.equal(reuse.status, 201, reuse.text);
    // Two ports of one Service never get the same NodePort.
    const two = await sim.create(`${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'two' },
      spec: {
        type: 'NodePort',
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 81 },
        ],
      },
    });
    assert.notEqual(two.spec?.ports[0].nodePort, two.spec?.ports[1].nodePort);
    const headless = await sim.create(`${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'hl' },
      spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    assert.deepEqual([headless.spec?.clusterIPs, headless.spec?.ipFamilyPolicy], [['None'], 'SingleStack']);
    // An update that leaves the ClusterIP out keeps it; one that changes it is refused.
    const put = await sim.api.put<Obj>(`${NS}/services/web`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 81 }] },
    });
    assert.equal(put.status, 200);
    assert.equal(put.body.spec?.clusterIP, ip);
  });

  it('EndpointSlices and Endpoints follow ready and terminating Pods', async () => {
    await sim.create(`${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', labels: { team: 'a' } },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    for (const name of ['web-a', 'web-b']) {
      await sim.create(`${NS}/pods`, { ...pod(name), metadata: { name, labels: { app: 'web' } } });
    }
    await sim.advance(100);
    let [slice] = await sim.list(
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb',
    );
    assert.match(String(slice.metadata.name), /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(slice.metadata.labels, {
      team: 'a',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      'kubernetes.io/service-name': 'web',
    });
    assert.equal(slice.metadata.ownerReferences?.[0].kind, 'Service');
    assert.equal(slice.addressType, 'IPv4');
    assert.deepEqual(slice.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }], 'the named targetPort resolved');
    assert.deepEqual(
      slice.endpoints.map((e: Obj) => e.conditions),
      [
        { ready: false, serving: false, terminating: false },
        { ready: false, serving: false, terminating: false },
      ],
    );
    await sim.advance(100);
    [slice] = await sim.list(
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb',
    );
    assert.deepEqual(slice.endpoints[0].conditions, { ready: true, serving: true, terminating: false });
    assert.equal(slice.endpoints[0].targetRef.name, 'web-a');
    assert.ok(slice.endpoints[0].nodeName);
    let ep = await sim.get(`${NS}/endpoints/web`);
    assert.equal(ep.subsets[0].addresses.length, 2);
    assert.deepEqual(ep.subsets[0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    await sim.api.delete(`${NS}/pods/web-a`);
    await sim.server.controllers.settle();
    [slice] = await sim.list(
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb',
    );
    assert.deepEqual(slice.endpoints[0].conditions, { ready: false, serving: true, terminating: true });
    ep = await sim.get(`${NS}/endpoints/web`);
    assert.equal(ep.subsets[0].addresses.length, 1, 'terminating Pods leave the legacy Endpoints');
    await sim.advance(500);
    [slice] = await sim.list(
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb',
    );
    assert.equal(slice.endpoints.length, 1);
  });

  it('publishNotReadyAddresses: a Pod not ready is ready in its EndpointSlice but not serving (podToEndpoint)', async () => {
    await sim.create(`${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'peers' },
      spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: { app: 'peer' }, ports: [{ port: 80 }] },
    });
    await sim.create(`${NS}/pods`, {
      ...pod('peer-0', { 'kloop.dev/outcome': 'never-ready' }),
      metadata: { name: 'peer-0', labels: { app: 'peer' }, annotations: { 'kloop.dev/outcome': 'never-ready' } },
    });
    await sim.advance(1000);
    const [slice] = await sim.list(
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dpeers',
    );
    assert.deepEqual(slice.endpoints[0].conditions, { ready: true, serving: false, terminating: false });
    assert.equal(slice.metadata.labels?.['service.kubernetes.io/headless'], '');
  });

  it('a Pod whose sandbox is still being created has no podIP yet, so no endpoint', async () => {
    await sim.create(`${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'slow' },
      spec: { selector: { app: 'slow' }, ports: [{ port: 80 }] },
    });
    await sim.create(`${NS}/pods`, { ...pod('slow'), metadata: { name: 'slow', labels: { app: 'slow' } } });
    const creating = await sim.get(`${NS}/pods/slow`);
    assert.equal(creating.status?.containerStatuses[0].state.waiting.reason, 'ContainerCreating');
    assert.ok(creating.status?.hostIP);
    assert.equal(creating.status?.podIP, undefined);
    const [slice] = await sim.list(
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dslow',
    );
    assert.deepEqual(slice.endpoints ?? [], []);
    await sim.advance(100);
    assert.ok((await sim.get(`${NS}/pods/slow`)).status?.podIP);
  });

  it('the scheduler spreads Pods over the Nodes by their Pod count, and a deleted Pod frees its place', async () => {
    for (let i = 0; i < 6; i++) await sim.create(`${NS}/pods`, pod(`spread-${i}`));
    const byNode = async () => {
      const counts: Record<string, string[]> = {};
      for (const p of await sim.list(`${NS}/pods`)) {
        if (!String(p.metadata.name).startsWith('spread-') || p.metadata.deletionTimestamp) continue;
        (counts[p.spec?.nodeName] ??= []).push(String(p.metadata.name));
      }
      return counts;
    };
    let counts = await byNode();
    assert.deepEqual(
      Object.values(counts).map((names) => names.length),
      [2, 2, 2],
    );
    const [first] = Object.keys(counts).sort();
    for (const name of counts[first]) await sim.api.delete(`${NS}/pods/${name}`);
    await sim.advance(1000);
    for (let i = 6; i < 8; i++) await sim.create(`${NS}/pods`, pod(`spread-${i}`));
    counts = await byNode();
    assert.deepEqual(counts[first].sort(), ['spread-6', 'spread-7']);
  });

  it('every namespace gets its default ServiceAccount and kube-root-ca.crt', async () => {
    await sim.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    await sim.get('/api/v1/namespaces/team/serviceaccounts/default');
    const sa = sim.server.stats().controllers.writes.find((w) => w.resource === 'serviceaccounts');
    assert.equal(sa?.manager, 'kube-controller-manager');
    const ca = await sim.get('/api/v1/namespaces/team/configmaps/kube-root-ca.crt');
    assert.match(String((ca.data as Record<string, string>)['ca.crt']), /^-----BEGIN CERTIFICATE-----\n/);
    assert.equal(
      ca.metadata.annotations?.['kubernetes.io/description'],
      'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
    );
    // The namespaces that exist before the controllers start get theirs too.
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await sim.get(`/api/v1/namespaces/${ns}/serviceaccounts/default`);
      await sim.get(`/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);
    }
    await sim.api.delete('/api/v1/namespaces/team/serviceaccounts/default');
    await sim.server.controllers.settle();
    assert.equal((await sim.api.get('/api/v1/namespaces/team/serviceaccounts/default')).status, 200, 'put back');
  });

  it("counts the cluster's writes apart from the clients' requests", async () => {
    sim.server.resetStats();
    await sim.create(`${APPS}/deployments`, deployment('counted', 2, 'nginx:1.27'));
    await sim.advance(500);
    const stats = sim.server.stats();
    assert.equal(stats.count({ verb: ['create', 'update', 'patch', 'delete'] }), 1, 'the client sent one write');
    assert.equal(stats.controllers.count({ controller: 'replicaset', verb: 'create', resource: 'pods' }), 2);
    assert.equal(
      stats.controllers.count({ controller: 'deployment', resource: 'replicasets.apps', verb: 'create' }),
      1,
    );
    assert.ok(stats.controllers.count({ controller: 'kubelet', subresource: 'status' }) >= 4);
    const kubelet = stats.controllers.writes.find((w) => w.controller === 'kubelet');
    assert.equal(kubelet?.manager, 'kubelet');
  });
});

describe('controllers off (the startApiServer default)', () => {
  it('adds no Nodes, ServiceAccounts or Services of its own', async () => {
    const server = await startApiServer({ port: 0 });
    try {
      assert.deepEqual(server.controllers.names, []);
      const get = async (path: string) =>
        ((await (await fetch(server.url + path)).json()) as { items: unknown[] }).items;
      assert.deepEqual(await get('/api/v1/nodes'), []);
      assert.deepEqual(await get('/api/v1/serviceaccounts'), []);
      assert.deepEqual(await get('/api/v1/services'), []);
      assert.deepEqual(server.stats().controllers.writes, []);
    } finally {
      await server.stop();
    }
  });

  it('runs only the controllers named', async () => {
    const server = await startApiServer({ port: 0, controllers: ['serviceaccount'] });
    try {
      await server.controllers.settle();
      const get = async (path: string) =>
        ((await (await fetch(server.url + path)).json()) as { items: unknown[] }).items;
      assert.equal((await get('/api/v1/serviceaccounts')).length, 4);
      assert.deepEqual(await get('/api/v1/nodes'), []);
      await assert.rejects(startApiServer({ controllers: ['nope' as never] }), /unknown controller "nope"/);
    } finally {
      await server.stop();
    }
  });
});
