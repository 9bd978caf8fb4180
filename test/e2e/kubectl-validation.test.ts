/**
 * End-to-end: kubectl 1.33 shows the emulator's validation errors as it shows kube-apiserver's.
 * `kubectl apply` of a Deployment whose selector does not match its template prints the 422's
 * message in kubectl's own wording; a ConfigMap with a number in `data` prints the decoder's 400.
 * Skipped (and says so) when the kubectl 1.33 binary of the Google Cloud SDK is absent.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';

const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';

const BAD_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
      - name: web
        image: nginx:1.27
`;

const BAD_CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: numbers
data:
  answer: 42
`;

function kubectl(args: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(KUBECTL, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 1
        : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

describe('kubectl 1.33 shows validation errors as from kube-apiserver', {
  skip: existsSync(KUBECTL) ? false : `${KUBECTL} is absent`,
}, () => {
  let server: ApiServer;
  let dir: string;
  let base: string[];

  before(async () => {
    server = await startApiServer({ port: 0, controllers: true });
    dir = await mkdtemp(join(tmpdir(), 'kloop-e2e-validation-'));
    await server.writeKubeconfig(join(dir, 'kubeconfig'));
    base = ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache')];
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('kubectl apply of a Deployment whose selector does not match its template', async () => {
    const r = await kubectl([...base, 'apply', '-f', '-'], BAD_DEPLOYMENT);
    assert.notEqual(r.code, 0);
    assert.equal(
      r.stderr.trim(),
      'The Deployment "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"api"}: `selector` does not match template `labels`',
    );
  });

  it('kubectl create of a ConfigMap with a number in data (client-side validation off)', async () => {
    const r = await kubectl([...base, 'create', '--validate=false', '-f', '-'], BAD_CONFIGMAP);
    assert.notEqual(r.code, 0);
    assert.equal(
      r.stderr.trim(),
      'Error from server (BadRequest): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    );
  });
});
