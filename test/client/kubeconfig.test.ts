// kubeconfig loading: where it is found, how files merge, what each field does, and the error
// for every malformed input, naming the file and the field and never a secret.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { inClusterConfig, KubeClient, KubeconfigError, loadKubeconfig } from '../../src/client/index.js';
import { ConfigMap } from '../../src/core/index.js';
import { InstantClock, json, startServer } from './helpers.js';
import { b64, kubeconfigFor, makePki, type Pki, startHttpsServer, tempDir } from './secure-helpers.js';

const silent = pino({ level: 'silent' });
const SECRET = 'SeCrEt-ToKeN-42';

describe('finding and merging kubeconfigs', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir('kloop-kc-merge-'));
  });
  after(() => cleanup());

  const write = (name: string, doc: unknown): string => {
    const file = join(dir, name);
    writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return file;
  };

  it('KUBECONFIG lists merge as client-go does: first definition of a name wins, first current-context wins', () => {
    const first = write('first', {
      'current-context': 'one',
      clusters: [{ name: 'shared', cluster: { server: 'https://first:6443', 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'first-token' } }],
      contexts: [{ name: 'one', context: { cluster: 'shared', user: 'u', namespace: 'ns-one' } }],
    });
    const second = write('second', {
      'current-context': 'two',
      clusters: [
        { name: 'shared', cluster: { server: 'https://second:6443' } },
        { name: 'only-second', cluster: { server: 'https://only-second:6443', 'insecure-skip-tls-verify': true } },
      ],
      users: [{ name: 'u', user: { token: 'second-token' } }],
      contexts: [
        { name: 'one', context: { cluster: 'only-second', user: 'u' } },
        { name: 'two', context: { cluster: 'only-second', user: 'u', namespace: 'ns-two' } },
      ],
    });
    const env = { KUBECONFIG: [join(dir, 'missing'), first, second, first].join(delimiter) };
    const kc = loadKubeconfig(undefined, { env });
    assert.equal(kc.context, 'one', 'current-context from the first file that sets it');
    assert.equal(kc.server.host, 'first:6443', 'the first file to define cluster "shared" wins, whole');
    assert.equal(kc.namespace, 'ns-one');
    assert.equal(kc.file, `${first} + ${second}`, 'missing files are skipped, duplicates read once');
    const two = loadKubeconfig(undefined, { env, context: 'two' });
    assert.equal(two.server.host, 'only-second:6443');
    assert.equal(two.namespace, 'ns-two');
  });

  it('the first file setting current-context wins even when a later file defines that context', async () => {
    const a = write('a', { 'current-context': 'later' });
    const b = write('b', {
      'current-context': 'other',
      clusters: [{ name: 'c', cluster: { server: 'http://b:1' } }],
      contexts: [{ name: 'later', context: { cluster: 'c' } }],
    });
    const kc = loadKubeconfig(undefined, { env: { KUBECONFIG: [a, b].join(delimiter) } });
    assert.equal(kc.context, 'later');
    assert.equal(kc.namespace, 'default', 'no namespace means default');
    assert.deepEqual((await kc.auth()).headers, {}, 'a context without a user sends no credentials');
  });

  it('KUBECONFIG naming no existing file is an error; unset falls back to ~/.kube/config, then in-cluster', () => {
    assert.throws(
      () => loadKubeconfig(undefined, { env: { KUBECONFIG: join(dir, 'nope') } }),
      (err: unknown) => err instanceof KubeconfigError && err.field === 'KUBECONFIG',
    );
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(
      join(home, '.kube', 'config'),
      'current-context: h\nclusters: [{name: c, cluster: {server: "http://home:1"}}]\ncontexts: [{name: h, context: {cluster: c}}]\n',
    );
    assert.equal(loadKubeconfig(undefined, { env: {}, homeDir: home }).server.host, 'home:1');
    assert.throws(
      () =>
        loadKubeconfig(undefined, { env: {}, homeDir: join(dir, 'empty-home'), serviceAccountDir: join(dir, 'no-sa') }),
      /no kubeconfig found/,
    );
  });

  it('an empty file merges as nothing; YAML with comments and JSON both read', () => {
    const empty = write('empty', '');
    const yaml = write(
      'yaml',
      '# a comment\napiVersion: v1\nkind: Config\ncurrent-context: y\nclusters:\n- name: c\n  cluster:\n    server: http://yaml:1\ncontexts:\n- name: y\n  context: {cluster: c}\n',
    );
    assert.equal(
      loadKubeconfig(undefined, { env: { KUBECONFIG: `${empty}${delimiter}${yaml}` } }).server.host,
      'yaml:1',
    );
  });

  it('reads an object with exportConfig() (a client-node KubeConfig) through its export', () => {
    const exported = kubeconfigFor({ server: 'http://exported:1' });
    const kc = loadKubeconfig({ exportConfig: () => JSON.stringify(exported) });
    assert.equal(kc.server.host, 'exported:1');
    assert.equal(kc.file, '<KubeConfig>');
  });
});

describe('credentials from the kubeconfig', () => {
  let dir: string;
  let cleanup: () => void;
  let pki: Pki;
  before(() => {
    ({ dir, cleanup } = tempDir('kloop-kc-cred-'));
    pki = makePki();
  });
  after(() => cleanup());

  it('token, basic auth and impersonation become headers', async () => {
    const token = await loadKubeconfig(
      kubeconfigFor(
        { server: 'http://h:1' },
        {
          token: 't0k',
          as: 'jane',
          'as-uid': 'u-1',
          'as-groups': ['dev', 'ops'],
          'as-user-extra': { 'reason/why': ['debug'] },
        },
      ),
    ).auth();
    assert.deepEqual(token.headers, {
      Authorization: 'Bearer t0k',
      'Impersonate-User': 'jane',
      'Impersonate-Uid': 'u-1',
      'Impersonate-Group': ['dev', 'ops'],
      'Impersonate-Extra-reason%2Fwhy': ['debug'],
    });
    const basic = await loadKubeconfig(
      kubeconfigFor({ server: 'http://h:1' }, { username: 'admin', password: 'pw' }),
    ).auth();
    assert.equal(basic.headers.Authorization, `Basic ${b64('admin:pw')}`);
  });

  it('impersonation headers reach the server, repeated for each group', async () => {
    const server = await startServer((_req, res) => json(res, 200, { kind: 'ConfigMap', metadata: { name: 'a' } }));
    const client = KubeClient.fromKubeconfig(
      kubeconfigFor({ server: server.url }, { token: 't', as: 'jane', 'as-groups': ['dev', 'ops'] }),
      { logger: silent, registry: new Registry(), clock: new InstantClock() },
    );
    try {
      await client.get(ConfigMap, { namespace: 'default', name: 'a' });
      const seen = server.requests[0].headers;
      assert.equal(seen['impersonate-user'], 'jane');
      assert.equal(seen['impersonate-group'], 'dev, ops');
    } finally {
      client.close();
      await server.close();
    }
  });

  it('tokenFile is relative to the kubeconfig, trimmed, re-read when due and after a 401', async () => {
    const folder = join(dir, 'tokens');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'token'), 'first-token\n');
    const file = join(folder, 'config');
    writeFileSync(file, JSON.stringify(kubeconfigFor({ server: 'https://h:1' }, { tokenFile: 'token' })));
    let now = 1_000_000;
    const kc = loadKubeconfig(file, { now: () => now, tokenFileRefreshMs: 10_000 });
    assert.equal(kc.dynamicAuth, true);
    assert.equal((await kc.auth()).headers.Authorization, 'Bearer first-token');
    writeFileSync(join(folder, 'token'), 'second-token\n');
    now += 9_999;
    assert.equal((await kc.auth()).headers.Authorization, 'Bearer first-token', 'not due yet');
    now += 1;
    assert.equal((await kc.auth()).headers.Authorization, 'Bearer second-token', 'due: read again');
    writeFileSync(join(folder, 'token'), 'third-token');
    kc.invalidate(); // what the client does on a 401
    assert.equal((await kc.auth()).headers.Authorization, 'Bearer third-token');
    // The legacy spelling token-file is read too.
    writeFileSync(file, JSON.stringify(kubeconfigFor({ server: 'https://h:1' }, { 'token-file': 'token' })));
    assert.equal((await loadKubeconfig(file).auth()).headers.Authorization, 'Bearer third-token');
  });

  it('a token file that holds a newline inside, or vanishes, is a clear error without the token', async () => {
    const tokenFile = join(dir, 'bad-token');
    writeFileSync(tokenFile, `${SECRET}\nsecond-line`);
    const kc = loadKubeconfig(kubeconfigFor({ server: 'https://h:1' }, { tokenFile }));
    await assert.rejects(
      kc.auth(),
      (err: unknown) =>
        err instanceof KubeconfigError &&
        err.field === 'users[u].user.tokenFile' &&
        /not allowed in an HTTP header/.test(err.message) &&
        !err.message.includes(SECRET),
    );
    writeFileSync(tokenFile, SECRET);
    assert.equal((await kc.auth()).headers.Authorization, `Bearer ${SECRET}`, 'fixed: the next request reads it');
  });

  it('the client refuses a request with credentials it cannot send, and sends nothing', async () => {
    const server = await startServer((_req, res) => json(res, 200, {}));
    const tokenFile = join(dir, 'vanishing');
    writeFileSync(tokenFile, 'tok');
    const client = KubeClient.fromKubeconfig(kubeconfigFor({ server: server.url }, { tokenFile }), {
      logger: silent,
      registry: new Registry(),
      clock: new InstantClock(),
    });
    try {
      const { rmSync } = await import('node:fs');
      rmSync(tokenFile);
      await assert.rejects(client.get(ConfigMap, { namespace: 'default', name: 'a' }), {
        code: 'KLOOP_CREDENTIALS_UNAVAILABLE',
      });
      assert.equal(server.requests.length, 0);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('client certificate and CA files are re-read when due (rotation) and the pool follows', async () => {
    const server = await startHttpsServer(pki.serving, { clientCa: pki.ca.certPem });
    const { issueClientCertificate } = await import('../../src/apiserver/auth/certificates.js');
    const first = issueClientCertificate(pki.ca, 'first');
    const second = issueClientCertificate(pki.ca, 'second');
    writeFileSync(join(dir, 'rot.crt'), first.certPem);
    writeFileSync(join(dir, 'rot.key'), first.keyPem);
    writeFileSync(join(dir, 'rot-ca.crt'), pki.ca.certPem);
    let now = 0;
    const kc = loadKubeconfig(
      kubeconfigFor(
        { server: server.url, 'certificate-authority': join(dir, 'rot-ca.crt') },
        { 'client-certificate': join(dir, 'rot.crt'), 'client-key': join(dir, 'rot.key') },
      ),
      { now: () => now, tlsFileRefreshMs: 60_000 },
    );
    const client = new KubeClient(kc, { logger: silent, registry: new Registry(), clock: new InstantClock() });
    try {
      await client.get(ConfigMap, { namespace: 'default', name: 'a' });
      writeFileSync(join(dir, 'rot.crt'), second.certPem);
      writeFileSync(join(dir, 'rot.key'), second.keyPem);
      await client.get(ConfigMap, { namespace: 'default', name: 'a' });
      now += 60_000;
      await client.get(ConfigMap, { namespace: 'default', name: 'a' });
      assert.deepEqual(
        server.requests.map((r) => r.user?.cn),
        ['first', 'first', 'second'],
      );
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('in-cluster configuration', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir('kloop-in-cluster-'));
  });
  after(() => cleanup());

  it('reads host, port, token, CA and namespace from a service account folder laid out in a temp dir', async () => {
    const pki = makePki();
    const server = await startHttpsServer(pki.serving);
    const sa = join(dir, 'serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'sa-token-1\n');
    writeFileSync(join(sa, 'ca.crt'), pki.ca.certPem);
    writeFileSync(join(sa, 'namespace'), 'team-a');
    let now = 0;
    const env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(server.port) };
    // With no kubeconfig anywhere, loading falls back to in-cluster.
    const kc = loadKubeconfig(undefined, {
      env,
      homeDir: join(dir, 'no-home'),
      serviceAccountDir: sa,
      now: () => now,
    });
    assert.equal(kc.file, '<in-cluster>');
    assert.equal(kc.server.href, `https://127.0.0.1:${server.port}/`);
    assert.equal(kc.namespace, 'team-a');
    const client = new KubeClient(kc, { logger: silent, registry: new Registry(), clock: new InstantClock() });
    try {
      const cm = await client.get(ConfigMap, { name: 'x' });
      assert.equal(cm.metadata.name, 'x');
      assert.equal(
        server.requests[0].url,
        '/api/v1/namespaces/team-a/configmaps/x',
        'the pod namespace is the default',
      );
      writeFileSync(join(sa, 'token'), 'sa-token-2\n'); // kubelet rotated it
      now += 10_000;
      await client.get(ConfigMap, { name: 'x' });
      assert.deepEqual(
        server.requests.map((r) => r.headers.authorization),
        ['Bearer sa-token-1', 'Bearer sa-token-2'],
      );
    } finally {
      client.close();
      await server.close();
    }
    // IPv6 service hosts are bracketed.
    const v6 = inClusterConfig({
      env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      serviceAccountDir: sa,
    });
    assert.equal(v6.server.host, '[fd00::1]');
  });

  it('missing variables or files are errors naming them; a CA that does not parse fails the first request', async () => {
    assert.throws(
      () => inClusterConfig({ env: {}, serviceAccountDir: dir }),
      /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined/,
    );
    const sa = join(dir, 'partial');
    mkdirSync(sa, { recursive: true });
    const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
    assert.throws(
      () => inClusterConfig({ env, serviceAccountDir: sa }),
      (err: unknown) => err instanceof KubeconfigError && err.file === '<in-cluster>' && err.field === 'token',
    );
    writeFileSync(join(sa, 'token'), 't');
    writeFileSync(join(sa, 'ca.crt'), 'not a certificate');
    const kc = inClusterConfig({ env, serviceAccountDir: sa });
    assert.equal(kc.namespace, 'default', 'no namespace file: default');
    await assert.rejects(
      kc.auth(),
      (err: unknown) =>
        err instanceof KubeconfigError &&
        err.field === 'clusters[in-cluster].cluster.certificate-authority' &&
        /no PEM certificate/.test(err.message),
    );
  });
});

describe('malformed kubeconfigs: every error names the file and the field, never a secret', () => {
  let dir: string;
  let cleanup: () => void;
  let pki: Pki;
  before(() => {
    ({ dir, cleanup } = tempDir('kloop-kc-bad-'));
    pki = makePki();
  });
  after(() => cleanup());

  const base = (cluster: Record<string, unknown>, user: Record<string, unknown> = {}) =>
    kubeconfigFor({ server: 'https://h:1', ...cluster }, user);
  const other = () => makePki();

  // [what, document (object or YAML text), field, message pattern]
  const cases = (): Array<[string, unknown, string, RegExp]> => [
    ['not YAML', 'clusters: [\n', 'yaml', /cannot be parsed/],
    ['YAML that is not a mapping', '- a\n- b\n', 'yaml', /must be a mapping, not a list/],
    ['clusters not a list', { clusters: { c: {} } }, 'clusters', /must be a list, not a mapping/],
    ['an entry without a name', { clusters: [{ cluster: { server: 'x' } }] }, 'clusters[0].name', /is missing/],
    ['a duplicate name', { users: [{ name: 'u' }, { name: 'u' }] }, 'users[1].name', /duplicate name "u"/],
    [
      'a numeric server',
      kubeconfigFor({ server: 6443 }),
      'clusters[c].cluster.server',
      /must be a string, not a number/,
    ],
    ['a server that is no URL', kubeconfigFor({ server: 'not a url' }), 'clusters[c].cluster.server', /is not a URL/],
    [
      'a server of another scheme',
      kubeconfigFor({ server: 'ftp://h' }),
      'clusters[c].cluster.server',
      /must be http or https/,
    ],
    ['no server', kubeconfigFor({}), 'clusters[c].cluster.server', /is missing/],
    [
      'insecure as a string',
      base({ 'insecure-skip-tls-verify': 'true' }),
      'clusters[c].cluster.insecure-skip-tls-verify',
      /must be true or false, not string/,
    ],
    ['a numeric token', base({}, { token: 12345 }), 'users[u].user.token', /must be a string, not a number/],
    [
      'a token with a newline',
      base({}, { token: `${SECRET}\n` }),
      'users[u].user.token',
      /not allowed in an HTTP header/,
    ],
    [
      'a password as a list',
      base({}, { username: 'a', password: [SECRET] }),
      'users[u].user.password',
      /must be a string, not a list/,
    ],
    ['as-groups not strings', base({}, { 'as-groups': ['a', 1] }), 'users[u].user.as-groups[1]', /must be a string/],
    [
      'an impersonated user with a line break',
      base({}, { as: 'admin\nX-Evil: 1' }),
      'users[u].user.as',
      /not allowed in an HTTP header/,
    ],
    ['an impersonated uid with a line break', base({}, { 'as-uid': 'u\n' }), 'users[u].user.as-uid', /not allowed/],
    [
      'an impersonated group with a line break',
      base({}, { 'as-groups': ['ok', 'g\r\n'] }),
      'users[u].user.as-groups[1]',
      /not allowed in an HTTP header/,
    ],
    [
      'an impersonation extra with a line break',
      base({}, { 'as-user-extra': { scopes: ['a\n'] } }),
      'users[u].user.as-user-extra.scopes[0]',
      /not allowed in an HTTP header/,
    ],
    [
      'CA data that is not base64',
      base({ 'certificate-authority-data': '!!!' }),
      'clusters[c].cluster.certificate-authority-data',
      /is not valid base64/,
    ],
    [
      'CA data that is not PEM',
      base({ 'certificate-authority-data': b64('hello') }),
      'clusters[c].cluster.certificate-authority-data',
      /holds no PEM certificate/,
    ],
    [
      'a CA whose certificate does not parse',
      base({ 'certificate-authority-data': b64('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n') }),
      'clusters[c].cluster.certificate-authority-data',
      /does not parse/,
    ],
    [
      'CA data and file both set',
      base({ 'certificate-authority-data': b64(pki.ca.certPem), 'certificate-authority': '/etc/hosts' }),
      'clusters[c].cluster.certificate-authority-data',
      /both specified for c/,
    ],
    [
      'insecure with a CA',
      base({ 'insecure-skip-tls-verify': true, 'certificate-authority-data': b64(pki.ca.certPem) }),
      'clusters[c].cluster.insecure-skip-tls-verify',
      /insecure flag is not allowed/,
    ],
    [
      'a missing CA file',
      base({ 'certificate-authority': join(dir, 'nope.crt') }),
      'clusters[c].cluster.certificate-authority',
      /names a missing file/,
    ],
    [
      'key data not base64',
      base({}, { 'client-certificate-data': b64(pki.admin.certPem), 'client-key-data': `${SECRET}!` }),
      'users[u].user.client-key-data',
      /is not valid base64/,
    ],
    [
      'a key that is not a key',
      base(
        {},
        {
          'client-certificate-data': b64(pki.admin.certPem),
          'client-key-data': b64(`-----BEGIN PRIVATE KEY-----\n${b64(SECRET)}\n-----END PRIVATE KEY-----\n`),
        },
      ),
      'users[u].user.client-key-data',
      /is not a private key that parses/,
    ],
    [
      'a key of another certificate',
      base({}, { 'client-certificate-data': b64(pki.admin.certPem), 'client-key-data': b64(other().admin.keyPem) }),
      'users[u].user.client-key-data',
      /does not match the client certificate/,
    ],
    [
      'a certificate without key',
      base({}, { 'client-certificate-data': b64(pki.admin.certPem) }),
      'users[u].user.client-key',
      /must be specified for u/,
    ],
    [
      'token and basic auth',
      base({}, { token: SECRET, username: 'a', password: SECRET }),
      'users[u].user.token',
      /more than one authentication method found for u; found \[token basicAuth\]/,
    ],
    [
      'an auth provider',
      base({}, { 'auth-provider': { name: 'oidc', config: { 'id-token': SECRET } } }),
      'users[u].user.auth-provider',
      /auth provider "oidc" is not supported/,
    ],
    [
      'exec and auth provider',
      base({}, { exec: { command: 'x' }, 'auth-provider': { name: 'gcp' } }),
      'users[u].user.auth-provider',
      /cannot be provided in combination/,
    ],
    [
      'exec env without value',
      base({}, { exec: { command: 'x', apiVersion: 'client.authentication.k8s.io/v1', env: [{ name: 'A' }] } }),
      'users[u].user.exec.env[0].value',
      /must be specified for variable A/,
    ],
    [
      'exec args not a list',
      base({}, { exec: { command: 'x', args: '--a' } }),
      'users[u].user.exec.args',
      /must be a list, not string/,
    ],
    [
      'no current-context',
      { ...kubeconfigFor({ server: 'http://h' }), 'current-context': undefined },
      'current-context',
      /is not set/,
    ],
    [
      'an unknown context',
      { ...kubeconfigFor({ server: 'http://h' }), 'current-context': 'nope' },
      'current-context',
      /names context "nope", which is not defined/,
    ],
    [
      'an unknown cluster',
      kubeconfigFor({ server: 'http://h' }, {}, { cluster: 'nope' }),
      'contexts[ctx].context.cluster',
      /names cluster "nope"/,
    ],
    [
      'an unknown user',
      kubeconfigFor({ server: 'http://h' }, {}, { user: 'nope' }),
      'contexts[ctx].context.user',
      /names user "nope"/,
    ],
    [
      'a context namespace as a number',
      kubeconfigFor({ server: 'http://h' }, {}, { namespace: 7 }),
      'contexts[ctx].context.namespace',
      /must be a string, not a number/,
    ],
  ];

  it('a table of malformed inputs, each from a file', () => {
    for (const [what, doc, field, pattern] of cases()) {
      const file = join(dir, `${what.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
      assert.throws(
        () => loadKubeconfig(file),
        (err: unknown) => {
          assert.ok(err instanceof KubeconfigError, `${what}: ${err}`);
          assert.equal(err.code, 'KLOOP_KUBECONFIG_INVALID', what);
          assert.equal(err.file, file, what);
          assert.equal(err.field, field, what);
          assert.match(err.message, pattern, what);
          assert.ok(err.message.startsWith(`${file}: ${field}: `), what);
          assert.ok(!err.message.includes(SECRET) && !err.message.includes(b64(SECRET)), `${what}: no secret`);
          assert.ok(!String(err.stack).includes(SECRET), `${what}: no secret in the stack`);
          return true;
        },
        what,
      );
    }
  });

  it('the same errors name <object> for an in-memory kubeconfig', () => {
    assert.throws(
      () => KubeClient.fromKubeconfig(kubeconfigFor({ server: 6443 })),
      (err: unknown) =>
        err instanceof KubeconfigError && err.file === '<object>' && err.field === 'clusters[c].cluster.server',
    );
  });

  it('a YAML syntax error does not quote the line (it may hold a token)', () => {
    const file = join(dir, 'leaky.yaml');
    writeFileSync(file, `users:\n- name: u\n  user:\n    token: ${SECRET}\n   bad: indentation\n`);
    assert.throws(
      () => loadKubeconfig(file),
      (err: unknown) =>
        err instanceof KubeconfigError &&
        err.field === 'yaml' &&
        /line \d+/.test(err.message) &&
        !err.message.includes(SECRET),
    );
  });

  it('YAML timestamps stay strings (the core schema, as sigs.k8s.io/yaml)', () => {
    const file = join(dir, 'dated.yaml');
    writeFileSync(
      file,
      'current-context: x\nclusters: [{name: c, cluster: {server: "http://h:1"}}]\ncontexts: [{name: x, context: {cluster: c, namespace: 2024-01-01}}]\n',
    );
    assert.equal(loadKubeconfig(file).namespace, '2024-01-01');
  });

  it('an unreadable path is an error naming it', () => {
    assert.throws(
      () => loadKubeconfig(join(dir, 'absent')),
      (err: unknown) => err instanceof KubeconfigError && err.field === 'file' && /ENOENT/.test(err.message),
    );
  });
});

describe('a token file rotated under a running client', () => {
  it('a 401 makes the client read the token file again and retry once with the new token', async () => {
    const { dir, cleanup } = tempDir('kloop-kc-401-');
    let accepted = 'first';
    const server = await startServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${accepted}`) {
        json(res, 401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 });
        return;
      }
      json(res, 200, { kind: 'ConfigMap', metadata: { name: 'a' } });
    });
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'first\n');
    const client = KubeClient.fromKubeconfig(kubeconfigFor({ server: server.url }, { tokenFile }), {
      logger: silent,
      registry: new Registry(),
      clock: new InstantClock(),
    });
    try {
      await client.get(ConfigMap, { namespace: 'default', name: 'a' });
      // The old token is revoked and the file rotated, well before the periodic re-read.
      accepted = 'second';
      writeFileSync(tokenFile, 'second\n');
      await client.get(ConfigMap, { namespace: 'default', name: 'a' });
      assert.deepEqual(
        server.requests.map((r) => r.headers.authorization),
        ['Bearer first', 'Bearer first', 'Bearer second'],
      );
      // A 401 that a fresh read does not cure surfaces after one retry.
      accepted = 'third';
      await assert.rejects(client.get(ConfigMap, { namespace: 'default', name: 'a' }), { code: 'KLOOP_API_ERROR' });
      assert.equal(server.requests.length, 5);
    } finally {
      client.close();
      await server.close();
      cleanup();
    }
  });
});

describe('secrets stay out of what a client shows', () => {
  it('util.inspect and JSON of a client and its config, and its errors, hold no token, key or password', async () => {
    const pki = makePki();
    const kc = kubeconfigFor(
      {
        server: 'https://kube-user:ServerPa55@127.0.0.1:1',
        'certificate-authority-data': b64(pki.ca.certPem),
        'proxy-url': 'http://proxy-user:ProxyPa55@127.0.0.1:9',
      },
      {
        token: SECRET,
        'client-certificate-data': b64(pki.admin.certPem),
        'client-key-data': b64(pki.admin.keyPem),
      },
    );
    const client = KubeClient.fromKubeconfig(kc, { logger: silent, registry: new Registry(), maxRetries: 0 });
    try {
      const failure = await client.get(ConfigMap, { namespace: 'default', name: 'a' }).then(
        () => assert.fail('connected to a closed port'),
        (err: unknown) => err,
      );
      const shown = [
        inspect(client, { depth: 12, showHidden: true }),
        inspect(loadKubeconfig(kc), { depth: 12, showHidden: true }),
        JSON.stringify(loadKubeconfig(kc)),
        inspect(failure, { depth: 12, showHidden: true }),
      ];
      const keyLine = pki.admin.keyPem.split('\n')[1];
      for (const [i, text] of shown.entries()) {
        for (const secret of [SECRET, 'ProxyPa55', 'ServerPa55', keyLine, b64(pki.admin.keyPem).slice(0, 40)]) {
          assert.ok(!text.includes(secret), `view ${i} shows ${secret.slice(0, 12)}...`);
        }
      }
      // What is shown still says where the client goes.
      assert.match(shown[1], /127\.0\.0\.1:9/);
      assert.match(shown[0], /127\.0\.0\.1:1/);
    } finally {
      client.close();
    }
  });
});
