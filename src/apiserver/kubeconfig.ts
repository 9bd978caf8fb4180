/**
 * The kubeconfig that points kubectl and client libraries at the emulator: one cluster with a
 * plain-HTTP server URL (and `insecure-skip-tls-verify`, which @kubernetes/client-node requires
 * for http URLs), one user with no credentials (kubectl requires the entry), one context
 * with namespace `default`.
 */
import { writeFile } from 'node:fs/promises';
import type { Kubeconfig } from './types.js';

/** Builds the kubeconfig for `url`. `name` names the cluster, user and context (default `kloop`). */
export function makeKubeconfig(url: string, name = 'kloop'): Kubeconfig {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses plain HTTP unless TLS verification is off; kubectl ignores it for http.
    clusters: [{ name, cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: {} }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  };
}

/** Writes a kubeconfig as JSON (a subset of YAML, so kubectl reads it as is), mode 0600. */
export async function writeKubeconfigFile(path: string, config: Kubeconfig): Promise<void> {
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
