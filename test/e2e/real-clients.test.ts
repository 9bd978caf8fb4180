/**
 * End-to-end with the real clients of Kubernetes 1.27-1.35 and helm 4 against the emulator, each
 * kubectl run with a fresh `--cache-dir` (`test/support/real-clients.ts`). A recording proxy in
 * front of the emulator forwards every request unchanged and keeps what it saw (method, path,
 * Content-Type of the body and of the answer), so the tests can tell the protobuf paths were
 * taken: client-go 1.32+ typed clients send protobuf bodies (kubectl create, helm's release
 * Secrets, their protobuf DeleteOptions) and read protobuf answers.
 *
 * In secure mode the proxy terminates TLS with a certificate of the emulator's CA and forwards
 * over HTTPS with the client's bearer token (a proxy cannot forward a client certificate), so
 * `kubectl create token`, the access reviews and RBAC writes are seen on the wire too.
 *
 * Flows that need a Deployment to become ready are not here: they need the built-in controllers
 * (`test/e2e/cluster-waits.test.ts`).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ApiServer,
  type ApiServerOptions,
  issueServingCertificate,
  startApiServer,
} from '../../src/apiserver/index.js';
import { CRONTAB_CRD } from '../support/crontab-crd.js';
import { type ClientRun, layerClients, runHelm, runKubectl, sdkKubectl, sdkKubectls } from '../support/real-clients.js';

const PB = 'application/vnd.kubernetes.protobuf';

/** One request the proxy saw. */
interface Seen {
  method: string;
  url: string;
  contentType: string;
  answerType: string;
  code: number;
}

/** An emulator behind a recording proxy, with a kubeconfig pointing at the proxy. */
class Cluster {
  readonly seen: Seen[] = [];
  server!: ApiServer;
  proxy!: Server;
  dir!: string;
  kubeconfig!: string;

  /** The proxy's URL (`https://` in secure mode). */
  proxyUrl = '';
  private configs = 0;

  /** With `secure`, `token` is the credential of the kubeconfig's user (the proxy forwards it). */
  async start(options: ApiServerOptions = {}, token?: string): Promise<void> {
    this.server = await startApiServer({ port: 0, ...options });
    const upstream = new URL(this.server.url);
    const security = this.server.security;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const target = new URL(req.url ?? '/', upstream);
      const forwardOptions = { method: req.method, headers: req.headers };
      const onAnswer = (answer: IncomingMessage) => {
        this.seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          contentType: String(req.headers['content-type'] ?? ''),
          answerType: String(answer.headers['content-type'] ?? ''),
          code: answer.statusCode ?? 0,
        });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // A watch may send nothing for a while: its headers must not wait for a body.
        res.flushHeaders();
        answer.pipe(res);
      };
      const forward = security
        ? httpsRequest(target, { ...forwardOptions, ca: security.caPem }, onAnswer)
        : request(target, forwardOptions, onAnswer);
      req.pipe(forward);
    };
    if (security) {
      const serving = issueServingCertificate(security.ca);
      this.proxy = createHttpsServer({ cert: serving.certPem, key: serving.keyPem }, handler);
    } else {
      this.proxy = createServer(handler);
    }
    await new Promise<void>((resolve) => this.proxy.listen(0, '127.0.0.1', () => resolve()));
    const { port } = this.proxy.address() as { port: number };
    this.proxyUrl = `${security ? 'https' : 'http'}://127.0.0.1:${port}`;
    this.dir = await mkdtemp(join(tmpdir(), 'kloop-real-clients-'));
    this.kubeconfig = await this.kubeconfigFor(token);
  }

  /** Writes a kubeconfig through the proxy, with `token` as its user's credential when given. */
  async kubeconfigFor(token?: string): Promise<string> {
    const path = join(this.dir, `kubeconfig-${++this.configs}`);
    const security = this.server.security;
    const ca = security ? `, certificate-authority-data: ${Buffer.from(security.caPem).toString('base64')}` : '';
    const user = token === undefined ? '{}' : `{token: ${JSON.stringify(token)}}`;
    await writeFile(
      path,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${this.proxyUrl}"${ca}}}]\n` +
        `users: [{name: u, user: ${user}}]\n` +
        'contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]\ncurrent-context: c\n',
      { mode: 0o600 },
    );
    return path;
  }

  async stop(): Promise<void> {
    this.proxy.closeAllConnections();
    await new Promise((resolve) => this.proxy.close(resolve));
    await this.server.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  async kubectl(bin: string, args: string[], input?: string): Promise<string> {
    const r = await runKubectl(bin, args, { kubeconfig: this.kubeconfig, ...(input === undefined ? {} : { input }) });
    assert.equal(r.code, 0, `${bin} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  run(bin: string, args: string[], kubeconfig = this.kubeconfig): Promise<ClientRun> {
    return runKubectl(bin, args, { kubeconfig });
  }

  async helm(args: string[]): Promise<string> {
    const { helm } = await layerClients();
    const r = await runHelm(helm, args, { kubeconfig: this.kubeconfig });
    assert.equal(r.code, 0, `helm ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** What the proxy saw since `from`, matching. */
  since(from: number, match: (s: Seen) => boolean): Seen[] {
    return this.seen.slice(from).filter(match);
  }
}

/** The create flows of the issue: resource, kubectl arguments and what kubectl prints. */
function createFlows(suffix: string): { args: string[]; printed: string; path: string }[] {
  const n = (s: string) => `${s}-${suffix}`;
  return [
    {
      args: ['create', 'deployment', n('web'), '--image=nginx'],
      printed: `deployment.apps/${n('web')} created`,
      path: '/apis/apps/v1/namespaces/default/deployments',
    },
    {
      args: ['create', 'service', 'clusterip', n('web'), '--tcp=80:8080'],
      printed: `service/${n('web')} created`,
      path: '/api/v1/namespaces/default/services',
    },
    {
      args: ['create', 'job', n('job'), '--image=busybox', '--', 'echo', 'hi'],
      printed: `job.batch/${n('job')} created`,
      path: '/apis/batch/v1/namespaces/default/jobs',
    },
    {
      args: ['create', 'serviceaccount', n('sa')],
      printed: `serviceaccount/${n('sa')} created`,
      path: '/api/v1/namespaces/default/serviceaccounts',
    },
    {
      args: ['create', 'role', n('role'), '--verb=get,list', '--resource=pods'],
      printed: `role.rbac.authorization.k8s.io/${n('role')} created`,
      path: '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles',
    },
    {
      args: ['create', 'rolebinding', n('rb'), `--role=${n('role')}`, `--serviceaccount=default:${n('sa')}`],
      printed: `rolebinding.rbac.authorization.k8s.io/${n('rb')} created`,
      path: '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings',
    },
  ];
}

describe('kubectl 1.33 and 1.35 end to end', () => {
  const cluster = new Cluster();
  before(async () => {
    await cluster.start();
    const kubectl = sdkKubectl('1.33');
    assert.ok(kubectl, 'kubectl 1.33 from the Google Cloud SDK');
    await cluster.kubectl(kubectl, ['apply', '-f', '-'], JSON.stringify(CRONTAB_CRD));
  });
  after(() => cluster.stop());

  const clients = async () => [
    { label: '1.33', bin: sdkKubectl('1.33') ?? '' },
    { label: '1.35', bin: (await layerClients()).kubectl },
  ];

  it('create deployment|service|job|serviceaccount|role|rolebinding send protobuf and read protobuf answers', async () => {
    for (const { label, bin } of await clients()) {
      for (const flow of createFlows(label.replace('.', '-'))) {
        const from = cluster.seen.length;
        const out = await cluster.kubectl(bin, flow.args);
        assert.equal(out.trim(), flow.printed, label);
        const posts = cluster.since(from, (s) => s.method === 'POST' && s.url.startsWith(flow.path));
        assert.equal(posts.length, 1, `${label} ${flow.args.join(' ')}`);
        assert.equal(posts[0].contentType, PB, `${label} ${flow.args.join(' ')}`);
        assert.equal(posts[0].answerType, PB);
        assert.equal(posts[0].code, 201);
      }
    }
  });

  it('get all lists the workloads and services', async () => {
    for (const { label, bin } of await clients()) {
      const out = await cluster.kubectl(bin, ['get', 'all']);
      for (const name of ['service/web-1-33', 'deployment.apps/web-1-35', 'job.batch/job-1-33']) {
        assert.match(out, new RegExp(name.replace('.', '\\.')), `${label}: ${out}`);
      }
    }
  });

  it('explain reads built-in and custom resource fields from /openapi/v3', async () => {
    for (const { label, bin } of await clients()) {
      const builtin = await cluster.kubectl(bin, ['explain', 'deployment.spec.replicas']);
      assert.match(builtin, /KIND:\s+Deployment/, label);
      assert.match(builtin, /FIELD: replicas <integer>/, label);
      const custom = await cluster.kubectl(bin, ['explain', 'crontab.spec.cronSpec']);
      assert.match(custom, /KIND:\s+CronTab/, label);
      assert.match(custom, /When to run, in cron syntax\./, label);
      // The v2 renderer reads /openapi/v2 in protobuf.
      const v2 = await cluster.kubectl(bin, ['explain', 'crontab.spec', '--output=plaintext-openapiv2']);
      assert.match(v2, /cronSpec\s+<string>/, label);
      const v2builtin = await cluster.kubectl(bin, [
        'explain',
        'deployment.spec.replicas',
        '--output=plaintext-openapiv2',
      ]);
      assert.match(v2builtin, /FIELD:\s+replicas <integer>/, label);
    }
  });

  it('client-side validation passes valid objects and leaves unknown fields to the server (Strict)', async () => {
    for (const { label, bin } of await clients()) {
      const name = `validated-${label.replace('.', '-')}`;
      const valid = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'b' } };
      const from = cluster.seen.length;
      assert.match(await cluster.kubectl(bin, ['apply', '-f', '-'], JSON.stringify(valid)), /created/);
      assert.ok(
        cluster.since(from, (s) => s.method === 'POST' && s.url.includes('fieldValidation=Strict')).length === 1,
        label,
      );
      const invalid = { ...valid, metadata: { name: `${name}-bad` }, colour: 'red' };
      const refused = await runKubectl(bin, ['create', '-f', '-'], {
        kubeconfig: cluster.kubeconfig,
        input: JSON.stringify(invalid),
      });
      assert.notEqual(refused.code, 0, label);
      assert.match(
        refused.stderr,
        /ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "colour"/,
        label,
      );
      // A custom resource: the schema prunes and kubectl validates on the server as well.
      const tab = {
        apiVersion: 'stable.example.com/v1',
        kind: 'CronTab',
        metadata: { name },
        spec: { cronSpec: '* * * * *' },
      };
      assert.match(await cluster.kubectl(bin, ['apply', '-f', '-'], JSON.stringify(tab)), /created/);
    }
  });

  it('delete reads protobuf answers and waits for the object to go', async () => {
    for (const { label, bin } of await clients()) {
      const out = await cluster.kubectl(bin, ['delete', 'deployment', `web-${label.replace('.', '-')}`]);
      assert.match(out, /deleted/);
    }
  });

  it('kubectl 1.35 wait streams the list (watch-list) and sees the condition', async () => {
    const { kubectl } = await layerClients();
    const from = cluster.seen.length;
    const out = await cluster.kubectl(kubectl, [
      'wait',
      '--for=jsonpath={.data.a}=b',
      'configmap/validated-1-35',
      '--timeout=20s',
    ]);
    assert.match(out, /condition met/);
    assert.ok(
      cluster.since(from, (s) => s.url.includes('sendInitialEvents=true') && s.code === 200).length > 0,
      JSON.stringify(cluster.seen.slice(from)),
    );
  });
});

describe('kubectl 1.33 and 1.35 against the secure emulator', () => {
  const cluster = new Cluster();
  const RBAC = '/apis/rbac.authorization.k8s.io/v1/namespaces/default';
  before(async () => {
    await cluster.start(
      {
        secure: {
          tokens: [
            { token: 'admin-token', username: 'alice', groups: ['system:masters'] },
            { token: 'dev-token', username: 'dev' },
          ],
        },
      },
      'admin-token',
    );
    // dev may write Roles and RoleBindings and read Pods in default, nothing more.
    const kubectl = sdkKubectl('1.33') ?? '';
    await cluster.kubectl(kubectl, [
      'create',
      'role',
      'rbac-writer',
      '--verb=create,get,list',
      '--resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io,pods',
    ]);
    await cluster.kubectl(kubectl, ['create', 'rolebinding', 'dev-writes-rbac', '--role=rbac-writer', '--user=dev']);
  });
  after(() => cluster.stop());

  const clients = async () => [
    { label: '1-33', bin: sdkKubectl('1.33') ?? '' },
    { label: '1-35', bin: (await layerClients()).kubectl },
  ];

  /** The one POST to `path` since `from`: protobuf body, protobuf answer, `code`. */
  const protobufPost = (from: number, path: string, code = 201) => {
    const posts = cluster.since(from, (s) => s.method === 'POST' && s.url.startsWith(path));
    assert.equal(posts.length, 1, `${path}: ${JSON.stringify(cluster.seen.slice(from))}`);
    assert.deepEqual([posts[0].contentType, posts[0].answerType, posts[0].code], [PB, PB, code], path);
  };

  it('create serviceaccount|role|rolebinding, then create token (TokenRequest) in protobuf; the token reads Pods only', async () => {
    for (const { label, bin } of await clients()) {
      const sa = `robot-${label}`;
      let from = cluster.seen.length;
      assert.match(await cluster.kubectl(bin, ['create', 'serviceaccount', sa]), /created/);
      protobufPost(from, '/api/v1/namespaces/default/serviceaccounts');
      from = cluster.seen.length;
      assert.match(
        await cluster.kubectl(bin, ['create', 'role', `reader-${label}`, '--verb=get,list', '--resource=pods']),
        /created/,
      );
      protobufPost(from, `${RBAC}/roles`);
      from = cluster.seen.length;
      const bind = ['create', 'rolebinding', `reader-${label}`, `--role=reader-${label}`];
      assert.match(await cluster.kubectl(bin, [...bind, `--serviceaccount=default:${sa}`]), /created/);
      protobufPost(from, `${RBAC}/rolebindings`);

      from = cluster.seen.length;
      const token = (await cluster.kubectl(bin, ['create', 'token', sa, '--duration', '20m'])).trim();
      assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      protobufPost(from, `/api/v1/namespaces/default/serviceaccounts/${sa}/token`);

      const robot = await cluster.kubeconfigFor(token);
      from = cluster.seen.length;
      const me = await cluster.run(bin, ['auth', 'whoami'], robot);
      assert.equal(me.code, 0, me.stderr);
      assert.match(me.stdout, new RegExp(`^Username\\s+system:serviceaccount:default:${sa}$`, 'm'));
      protobufPost(from, '/apis/authentication.k8s.io/v1/selfsubjectreviews');
      const pods = await cluster.run(bin, ['get', 'pods'], robot);
      assert.equal(pods.code, 0, pods.stderr);
      assert.match(pods.stderr, /No resources found in default namespace/);
      const configmaps = await cluster.run(bin, ['get', 'configmaps'], robot);
      assert.notEqual(configmaps.code, 0);
      assert.match(
        configmaps.stderr,
        new RegExp(
          `Error from server \\(Forbidden\\): configmaps is forbidden: User "system:serviceaccount:default:${sa}" cannot list resource "configmaps" in API group "" in the namespace "default"`,
        ),
      );
      // OpenAPI is open to every authenticated user (system:discovery).
      const explain = await cluster.run(bin, ['explain', 'pod.spec.nodeName'], robot);
      assert.equal(explain.code, 0, explain.stderr);
      assert.match(explain.stdout, /nodeName\s+<string>/);
      from = cluster.seen.length;
      const canI = await cluster.run(bin, ['auth', 'can-i', 'list', 'pods'], robot);
      assert.equal(canI.stdout.trim(), 'yes', canI.stderr);
      protobufPost(from, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    }
  });

  it('a user may create a Role with what it holds, and is refused one that grants more (escalation)', async () => {
    for (const { label, bin } of await clients()) {
      const dev = await cluster.kubeconfigFor('dev-token');
      let from = cluster.seen.length;
      const held = await cluster.run(
        bin,
        ['create', 'role', `dev-reader-${label}`, '--verb=get', '--resource=pods'],
        dev,
      );
      assert.equal(held.code, 0, held.stderr);
      protobufPost(from, `${RBAC}/roles`);
      from = cluster.seen.length;
      const more = await cluster.run(
        bin,
        ['create', 'role', `dev-deleter-${label}`, '--verb=delete', '--resource=pods'],
        dev,
      );
      assert.notEqual(more.code, 0);
      assert.match(
        more.stderr,
        /roles\.rbac\.authorization\.k8s\.io "dev-deleter-1-3\d" is forbidden: user "dev" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held/,
      );
      protobufPost(from, `${RBAC}/roles`, 403);
      const binding = await cluster.run(
        bin,
        ['create', 'rolebinding', `dev-binds-${label}`, `--role=dev-reader-${label}`, '--user=dev'],
        dev,
      );
      assert.equal(binding.code, 0, binding.stderr);
    }
  });
});

describe('kubectl 1.35 wait against a server without the WatchList feature (1.33 defaults)', () => {
  const cluster = new Cluster();
  before(() => cluster.start({ watchList: false }));
  after(() => cluster.stop());

  it('falls back from the 422 to list and watch', async () => {
    const { kubectl } = await layerClients();
    await cluster.kubectl(kubectl, ['create', 'configmap', 'w', '--from-literal=a=b']);
    const from = cluster.seen.length;
    const out = await cluster.kubectl(kubectl, ['wait', '--for=jsonpath={.data.a}=b', 'configmap/w', '--timeout=20s']);
    assert.match(out, /condition met/);
    const seen = cluster.since(from, () => true);
    assert.ok(
      seen.some((s) => s.url.includes('sendInitialEvents=true') && s.code === 422),
      JSON.stringify(seen),
    );
  });
});

describe('kubectl 1.27-1.32 smoke pass', () => {
  const cluster = new Cluster();
  before(() => cluster.start());
  after(() => cluster.stop());

  it('create deployment, get, explain and apply on every SDK kubectl', async () => {
    const versions = sdkKubectls().filter((k) => k.version !== '1.33');
    assert.ok(versions.length > 0, 'the Google Cloud SDK kubectls');
    for (const { version, path } of versions) {
      const name = `web-${version.replace('.', '-')}`;
      assert.match(await cluster.kubectl(path, ['create', 'deployment', name, '--image=nginx']), /created/);
      assert.match(await cluster.kubectl(path, ['get', 'deployment', name]), new RegExp(name));
      assert.match(await cluster.kubectl(path, ['explain', 'pod.spec.nodeName']), /nodeName <string>/);
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: version } };
      assert.match(await cluster.kubectl(path, ['apply', '-f', '-'], JSON.stringify(cm)), /created/);
      assert.match(await cluster.kubectl(path, ['delete', 'deployment', name]), /deleted/);
    }
  });
});

describe('helm 4 end to end', () => {
  const cluster = new Cluster();
  let chart: string;

  before(async () => {
    await cluster.start();
    chart = join(cluster.dir, 'tiny');
    await mkdir(join(chart, 'templates'), { recursive: true });
    await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: tiny\nversion: 0.1.0\n');
    await writeFile(join(chart, 'values.yaml'), 'greeting: hello\n');
    await writeFile(
      join(chart, 'templates', 'configmap.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  greeting: {{ .Values.greeting | quote }}\n',
    );
    await writeFile(
      join(chart, 'templates', 'service.yaml'),
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-svc\nspec:\n  selector:\n    app: tiny\n  ports:\n    - port: 80\n      targetPort: 8080\n',
    );
  });
  after(() => cluster.stop());

  const releaseSecrets = async (release: string) =>
    JSON.parse(
      await cluster.kubectl(sdkKubectl('1.33') ?? '', [
        'get',
        'secrets',
        '-l',
        `owner=helm,name=${release}`,
        '-o',
        'json',
      ]),
    ).items as { metadata: { name: string }; type: string }[];
  const greeting = async (release: string) =>
    JSON.parse(await cluster.kubectl(sdkKubectl('1.33') ?? '', ['get', 'configmap', `${release}-cm`, '-o', 'json']))
      .data.greeting as string;

  it('install, list, upgrade, rollback, uninstall; the release Secrets are protobuf and gone afterwards', async () => {
    let from = cluster.seen.length;
    assert.match(await cluster.helm(['install', 'rel', chart]), /STATUS: deployed/);
    // The release record: a Secret created through the typed client, in protobuf.
    const secretPosts = cluster.since(
      from,
      (s) => s.method === 'POST' && s.url.startsWith('/api/v1/namespaces/default/secrets'),
    );
    assert.ok(
      secretPosts.length > 0 && secretPosts.every((s) => s.contentType === PB && s.code === 201),
      JSON.stringify(secretPosts),
    );
    assert.equal(await greeting('rel'), 'hello');
    assert.deepEqual(
      (await releaseSecrets('rel')).map((s) => [s.metadata.name, s.type]),
      [['sh.helm.release.v1.rel.v1', 'helm.sh/release.v1']],
    );
    assert.match(await cluster.helm(['list']), /rel\s+default\s+1\s+.*deployed/);

    assert.match(await cluster.helm(['upgrade', 'rel', chart, '--set', 'greeting=hi']), /REVISION: 2/);
    assert.equal(await greeting('rel'), 'hi');
    assert.match(await cluster.helm(['rollback', 'rel', '1']), /Rollback was a success/);
    assert.equal(await greeting('rel'), 'hello');
    assert.match(await cluster.helm(['list']), /rel\s+default\s+3\s+.*deployed/);
    assert.equal((await releaseSecrets('rel')).length, 3);

    from = cluster.seen.length;
    assert.match(await cluster.helm(['uninstall', 'rel']), /release "rel" uninstalled/);
    // Each release Secret deleted with a protobuf DeleteOptions body.
    const deletes = cluster.since(
      from,
      (s) => s.method === 'DELETE' && s.url.includes('/secrets/sh.helm.release.v1.rel.'),
    );
    assert.equal(deletes.length, 3, JSON.stringify(deletes));
    assert.ok(
      deletes.every((s) => s.contentType === PB && s.code === 200),
      JSON.stringify(deletes),
    );
    assert.deepEqual(await releaseSecrets('rel'), []);
    assert.doesNotMatch(await cluster.helm(['list']), /\brel\b/);
    const { helm } = await layerClients();
    const history = await runHelm(helm, ['history', 'rel'], { kubeconfig: cluster.kubeconfig });
    assert.notEqual(history.code, 0);
    assert.match(history.stderr, /release: not found/);
    const cm = await cluster.run(sdkKubectl('1.33') ?? '', ['get', 'configmap', 'rel-cm']);
    assert.notEqual(cm.code, 0);
  });

  it('install --wait of a chart without workloads completes (kstatus over a streamed list)', async () => {
    assert.match(await cluster.helm(['install', 'waited', chart, '--wait', '--timeout', '60s']), /STATUS: deployed/);
    assert.match(await cluster.helm(['uninstall', 'waited', '--wait', '--timeout', '60s']), /uninstalled/);
  });
});
