// Helpers for the secure emulator's tests: clients for an identity, `whoami`, raw JSON calls,
// and the admin's writes of ServiceAccounts, roles and bindings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiServer, Kubeconfig } from '../../src/apiserver/index.js';
import { KubeClient, type KubeObject } from '../../src/index.js';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** A client for `kubeconfig` that does not retry connection errors (so TLS failures show at once). */
export function clientOf(kubeconfig: Kubeconfig | object): KubeClient {
  return KubeClient.fromKubeconfig(kubeconfig, { maxRetries: 0 });
}

/** Sends a JSON request and parses the answer, whatever its status. */
export async function call<T = Record<string, unknown>>(
  client: KubeClient,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Answer<T>> {
  const res = await client.raw({
    method,
    path,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), contentType }),
  });
  const text = res.body.toString('utf8');
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

export interface WhoAmI {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** The client's user, as a SelfSubjectReview tells it (`kubectl auth whoami`). */
export async function whoami(client: KubeClient): Promise<WhoAmI> {
  const res = await call<{ status: { userInfo: WhoAmI } }>(
    client,
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  );
  if (res.status !== 201) throw new Error(`whoami answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.status.userInfo;
}

/** A ServiceAccount token from the TokenRequest API, asked for by `client`. */
export async function requestToken(
  client: KubeClient,
  namespace: string,
  name: string,
  spec: Record<string, unknown> = {},
): Promise<string> {
  const res = await call<{ status: { token: string } }>(
    client,
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec },
  );
  if (res.status !== 201) throw new Error(`TokenRequest answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.status.token;
}

const RBAC = 'rbac.authorization.k8s.io/v1';

/** A Role (with `namespace`) or ClusterRole. */
export function roleObject(
  name: string,
  rules: unknown[],
  namespace?: string,
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: RBAC,
    kind: namespace === undefined ? 'ClusterRole' : 'Role',
    metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
    rules,
    ...extra,
  } as KubeObject;
}

/** A RoleBinding (with `namespace`) or ClusterRoleBinding of `roleRef` to `subjects`. */
export function bindingObject(
  name: string,
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string },
  subjects: { kind: 'User' | 'Group' | 'ServiceAccount'; name: string; namespace?: string }[],
  namespace?: string,
): KubeObject {
  return {
    apiVersion: RBAC,
    kind: namespace === undefined ? 'ClusterRoleBinding' : 'RoleBinding',
    metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
    subjects: subjects.map((s) => (s.kind === 'ServiceAccount' ? s : { apiGroup: 'rbac.authorization.k8s.io', ...s })),
  } as KubeObject;
}

/** A ServiceAccount object. */
export function serviceAccount(namespace: string, name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace, name } };
}

/** A scratch folder removed by `cleanup`. */
export function scratch(prefix: string): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The CA PEM of a secure server's kubeconfig. */
export function caOf(server: ApiServer): string {
  const data = server.kubeconfig.clusters[0].cluster['certificate-authority-data'];
  if (data === undefined) throw new Error('not a secure server');
  return Buffer.from(data, 'base64').toString('utf8');
}
