/**
 * The identity a replica campaigns under: its pod's name, so `kubectl get lease` says which pod
 * leads, plus a suffix unique to the process, so a restarted container (same pod name) is not
 * taken for its predecessor while the Lease still names it (client-go's examples and
 * controller-runtime use hostname + "_" + a UUID; a `-` here keeps it a valid object name, which
 * sharding's membership Leases need).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * `$POD_NAME` (set it from the downward API: `fieldRef: metadata.name`), else the host name
 * (a pod's host name is its name), then `-` and eight random hex digits.
 *
 * @example
 * ```ts
 * process.env.POD_NAME = 'memcached-operator-7d9f-x2';
 * defaultIdentity(); // 'memcached-operator-7d9f-x2-3fa91c0e'
 * ```
 */
export function defaultIdentity(env: NodeJS.ProcessEnv = process.env): string {
  const base = (env.POD_NAME || env.HOSTNAME || hostname() || 'kloop').toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  return `${base}-${randomBytes(4).toString('hex')}`;
}
