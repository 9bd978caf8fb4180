/**
 * The kubeconfig that points kubectl and client libraries at the emulator: one cluster, one user,
 * one context with namespace `default`. On plain HTTP the cluster has `insecure-skip-tls-verify`
 * (which @kubernetes/client-node requires for http URLs) and the user no credentials (kubectl
 * requires the entry). In secure mode the CA is inline (`certificate-authority-data`) and the user
 * carries a client certificate and key or a token, so the file stands on its own.
 */
import { writeFile } from 'node:fs/promises';
import type { CertificateAndKey, Kubeconfig, KubeconfigUser } from './types.js';

/** The TLS side of a secure server's kubeconfig. */
export interface SecureKubeconfig {
  /** The CA certificate (PEM) the server's certificate chains to. */
  caPem: string;
  /** The user's credentials. */
  user: KubeconfigUser;
}

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** The kubeconfig user entry of a client certificate. */
export function certificateUser(cert: CertificateAndKey): KubeconfigUser {
  return { 'client-certificate-data': base64(cert.certPem), 'client-key-data': base64(cert.keyPem) };
}

/**
 * Builds the kubeconfig for `url`. `name` names the cluster, user and context (default `kloop`);
 * `secure` gives the CA and credentials of an `https://` server.
 */
export function makeKubeconfig(url: string, name = 'kloop', secure?: SecureKubeconfig): Kubeconfig {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        // client-node refuses plain HTTP unless TLS verification is off; kubectl ignores it for http.
        cluster: secure
          ? { server: url, 'certificate-authority-data': base64(secure.caPem) }
          : { server: url, 'insecure-skip-tls-verify': true },
      },
    ],
    users: [{ name, user: secure ? { ...secure.user } : {} }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  };
}

/** Writes a kubeconfig as JSON (a subset of YAML, so kubectl reads it as is), mode 0600. */
export async function writeKubeconfigFile(path: string, config: Kubeconfig): Promise<void> {
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
