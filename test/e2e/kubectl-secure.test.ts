/**
 * End-to-end: real kubectl 1.33 (Google Cloud SDK) and 1.35 (the layer package) against the
 * secure emulator: every way kubectl authenticates (the admin's client certificate, a static
 * token, `kubectl create token` and the token it prints, an exec plugin script, a token file and
 * CA file laid out as a pod's service account folder), `auth whoami`, `auth can-i` and
 * `can-i --list` for a ServiceAccount, `--as`, and the errors kubectl prints for a wrong CA, a
 * forbidden request, an expired token and a revoked ServiceAccount.
 *
 * kubectl 1.32+ sends `create serviceaccount`, `create token`, `auth can-i` and `auth whoami`
 * bodies as protobuf; the emulator decodes them.
 */
import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import {
  type ApiServer,
  createCertificateAuthority,
  type Kubeconfig,
  startApiServer,
} from '../../src/apiserver/index.js';
import { ManualClock } from '../../src/index.js';
import { bindingObject, caOf, clientOf, roleObject, scratch, serviceAccount } from '../integration/secure-helpers.js';
import { type ClientRun, layerClients, runKubectl, sdkKubectl } from '../support/real-clients.js';

const VERSIONS: { label: string; bin: () => Promise<string | undefined> }[] = [
  { label: 'kubectl 1.33', bin: async () => sdkKubectl('1.33') },
  { label: 'kubectl 1.35', bin: async () => (await layerClients()).kubectl },
];

describe('kubectl against the secure emulator', () => {
  const clock = new ManualClock();
  let server: ApiServer;
  const tmp = scratch('kloop-kubectl-secure-');
  let files = 0;
  /** Writes a kubeconfig (JSON is YAML) and returns its path. */
  const kubeconfigFile = async (config: Kubeconfig | object): Promise<string> => {
    const path = tmp.path(`kubeconfig-${++files}`);
    await writeFile(path, JSON.stringify(config), { mode: 0o600 });
    return path;
  };

  before(async () => {
    server = await startApiServer({ secure: { tokens: [{ token: 'bob-token', username: 'bob' }] }, clock });
    const admin = clientOf(server.kubeconfig);
    try {
      await admin.create(serviceAccount('default', 'robot'));
      await admin.create(
        roleObject('pod-reader', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }], 'default'),
      );
      await admin.create(
        bindingObject(
          'robot-reads-pods',
          { kind: 'Role', name: 'pod-reader' },
          [{ kind: 'ServiceAccount', name: 'robot' }],
          'default',
        ),
      );
    } finally {
      admin.close();
    }
  });
  after(async () => {
    await server.stop();
    tmp.cleanup();
  });

  for (const version of VERSIONS) {
    describe(version.label, () => {
      let bin: string;
      let adminConfig: string;
      const kubectl = async (config: string, args: string[]): Promise<ClientRun> =>
        runKubectl(bin, args, { kubeconfig: config, timeoutMs: 30_000 });
      const ok = async (config: string, args: string[]): Promise<string> => {
        const r = await kubectl(config, args);
        assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      const tokenConfig = (token: string) => kubeconfigFile(server.kubeconfigFor({ token }));

      before(async () => {
        const found = await version.bin();
        assert.ok(found, `${version.label} is not on this machine`);
        bin = found;
        adminConfig = await kubeconfigFile(server.kubeconfig);
      });

      it('the admin kubeconfig: client certificate, CA inline; whoami', async () => {
        assert.match(await ok(adminConfig, ['get', 'ns']), /^default\s+Active/m);
        const me = await ok(adminConfig, ['auth', 'whoami']);
        assert.match(me, /^Username\s+kloop-admin$/m);
        assert.match(me, /^Groups\s+\[system:masters system:authenticated\]$/m);
      });

      it('a static token; a forbidden request prints the 403', async () => {
        const bob = await tokenConfig('bob-token');
        assert.match(await ok(bob, ['auth', 'whoami']), /^Username\s+bob$/m);
        const pods = await kubectl(bob, ['get', 'pods']);
        assert.notEqual(pods.code, 0);
        assert.match(
          pods.stderr,
          /Error from server \(Forbidden\): pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"/,
        );
        assert.equal((await kubectl(bob, ['auth', 'can-i', 'list', 'pods'])).stdout.trim(), 'no');
      });

      it('kubectl create token, then that token', async () => {
        const token = (await ok(adminConfig, ['create', 'token', 'robot', '--duration', '20m'])).trim();
        assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
        const robot = await tokenConfig(token);
        const me = await ok(robot, ['auth', 'whoami']);
        assert.match(me, /^Username\s+system:serviceaccount:default:robot$/m);
        assert.match(me, /^Groups\s+\[system:serviceaccounts system:serviceaccounts:default system:authenticated\]$/m);
        assert.match(me, /^Extra: authentication\.kubernetes\.io\/credential-id\s+\[JTI=/m);
        assert.match((await kubectl(robot, ['get', 'pods'])).stderr, /No resources found in default namespace/);
      });

      it('kubectl create serviceaccount (a protobuf body) and can-i for it', async () => {
        const name = `sa-${version.label.replace(/\D/g, '')}`;
        assert.match(
          await ok(adminConfig, ['create', 'serviceaccount', name]),
          new RegExp(`serviceaccount/${name} created`),
        );
        const as = `--as=system:serviceaccount:default:${name}`;
        assert.equal((await kubectl(adminConfig, ['auth', 'can-i', 'get', 'pods', as])).stdout.trim(), 'no');
      });

      it('auth can-i and can-i --list for a ServiceAccount', async () => {
        const robot = await tokenConfig(server.security?.createToken('default', 'robot') ?? '');
        assert.equal((await ok(robot, ['auth', 'can-i', 'list', 'pods'])).trim(), 'yes');
        const no = await kubectl(robot, ['auth', 'can-i', 'delete', 'pods']);
        assert.equal(no.code, 1);
        assert.equal(no.stdout.trim(), 'no');
        const list = await ok(robot, ['auth', 'can-i', '--list']);
        assert.match(list, /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/m);
        assert.match(list, /^pods\s+\[\]\s+\[\]\s+\[get list\]$/m);
        assert.match(list, /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
        assert.match(list, /^\s+\[\/version\]\s+\[\]\s+\[get\]$/m);
        const asRobot = await ok(adminConfig, ['auth', 'can-i', '--list', '--as=system:serviceaccount:default:robot']);
        assert.match(asRobot, /^pods\s+\[\]\s+\[\]\s+\[get list\]$/m);
      });

      it('--as impersonates', async () => {
        assert.match(
          await ok(adminConfig, ['auth', 'whoami', '--as=bob', '--as-group=ops']),
          /^Groups\s+\[ops system:authenticated\]$/m,
        );
        const bob = await tokenConfig('bob-token');
        // `create` posts directly; `get` would first fail its discovery with a bare "unknown".
        const refused = await kubectl(bob, ['create', 'configmap', 'x', '--as=jane']);
        assert.match(
          refused.stderr,
          /users "jane" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope/,
        );
      });

      it('an exec plugin script', async () => {
        const token = server.security?.createToken('default', 'robot') ?? '';
        const plugin = tmp.path(`plugin-${files}.sh`);
        const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token } };
        await writeFile(plugin, `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify(credential)}\nEOF\n`);
        await chmod(plugin, 0o755);
        const config = await kubeconfigFile({
          ...server.kubeconfig,
          users: [
            {
              name: 'kloop',
              user: {
                exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' },
              },
            },
          ],
        });
        assert.match(await ok(config, ['auth', 'whoami']), /^Username\s+system:serviceaccount:default:robot$/m);
      });

      it("a pod's service account files: token file and CA file", async () => {
        const token = tmp.path(`token-${files}`);
        const ca = tmp.path(`ca-${files}.crt`);
        await writeFile(token, server.security?.createToken('default', 'robot') ?? '');
        await writeFile(ca, caOf(server));
        const config = await kubeconfigFile({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'in-cluster', cluster: { server: server.url, 'certificate-authority': ca } }],
          users: [{ name: 'in-cluster', user: { tokenFile: token } }],
          contexts: [
            { name: 'in-cluster', context: { cluster: 'in-cluster', user: 'in-cluster', namespace: 'default' } },
          ],
          'current-context': 'in-cluster',
        });
        assert.match(await ok(config, ['auth', 'whoami']), /^Username\s+system:serviceaccount:default:robot$/m);
      });

      it('a wrong CA: kubectl refuses the server certificate', async () => {
        const other = createCertificateAuthority({ commonName: 'someone-else' });
        const kc = structuredClone(server.kubeconfig);
        kc.clusters[0].cluster['certificate-authority-data'] = Buffer.from(other.certPem).toString('base64');
        const r = await kubectl(await kubeconfigFile(kc), ['get', 'ns', '--request-timeout=5s']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /x509: certificate signed by unknown authority/);
      });

      it('an expired token: You must be logged in to the server', async () => {
        const token = server.security?.createToken('default', 'robot', { expirationSeconds: 600 }) ?? '';
        const config = await tokenConfig(token);
        assert.match(await ok(config, ['auth', 'whoami']), /system:serviceaccount:default:robot/);
        clock.advance(661_000);
        const r = await kubectl(config, ['get', 'pods']);
        assert.notEqual(r.code, 0);
        // Discovery meets the 401 first; kubectl prints client-go's text for it, as with a real server.
        assert.match(
          r.stderr,
          /error: You must be logged in to the server \(the server has asked for the client to provide credentials\)/,
        );
        assert.match(
          (await kubectl(config, ['auth', 'whoami'])).stderr,
          /You must be logged in to the server \(Unauthorized\)/,
        );
      });

      it('a deleted ServiceAccount: its token no longer works', async () => {
        const name = `gone-${version.label.replace(/\D/g, '')}`;
        await ok(adminConfig, ['create', 'serviceaccount', name]);
        const config = await tokenConfig((await ok(adminConfig, ['create', 'token', name])).trim());
        assert.match(await ok(config, ['auth', 'whoami']), new RegExp(`system:serviceaccount:default:${name}`));
        await ok(adminConfig, ['delete', 'serviceaccount', name]);
        const r = await kubectl(config, ['auth', 'whoami']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /You must be logged in to the server \(Unauthorized\)/);
      });
    });
  }
});
