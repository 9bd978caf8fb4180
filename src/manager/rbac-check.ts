/**
 * The RBAC check at start: each permission the manager derives (`rbac.ts`) is asked of the API
 * server with a SelfSubjectAccessReview (`kubectl auth can-i`), so a missing rule fails `start()`
 * at once, naming the rule and why it is needed, instead of showing later as a reflector retrying
 * a 403 forever or a write failing in the middle of a reconcile (controller-runtime's experience:
 * the cache never syncs and the logs say `forbidden`).
 *
 * A server that does not serve the review API (404: an emulator without `secure`, or a server
 * without authorization) cannot be asked; the check then reports itself as skipped, as does one
 * whose reviews are themselves forbidden.
 */
import type { KubeClient } from '../client/index.js';
import { KloopError } from '../core/index.js';
import { ManagerError } from './errors.js';
import { describePermission, type RbacPermission } from './rbac.js';

/**
 * What `start()` does with the RBAC check (`rbacCheck`): `'fail'` rejects with an
 * {@link RbacMissingError}, `'warn'` logs and reports the missing permissions in `/readyz`
 * (not ready) and starts anyway, `'off'` asks nothing.
 */
export type RbacCheckMode = 'fail' | 'warn' | 'off';

/** Permissions the API server denied to this process (code `KLOOP_RBAC_MISSING`). */
export class RbacMissingError extends KloopError {
  /** Each permission denied, with the reason the manager needs it. */
  readonly missing: readonly RbacPermission[];

  constructor(missing: readonly RbacPermission[]) {
    super(
      'KLOOP_RBAC_MISSING',
      `missing RBAC permissions (${missing.length}): ${missing.map(describePermission).join('; ')}. ` +
        'Grant them (kloop manifests writes the Roles), or set rbacCheck: "warn" or "off"',
    );
    this.missing = missing;
  }
}

/** The outcome of a check. */
export interface RbacCheckResult {
  /** False when the server could not be asked (see `skipped`). */
  checked: boolean;
  /** Why the check could not run. */
  skipped?: string;
  /** Permissions the server denied. */
  missing: RbacPermission[];
}

interface AccessReviewStatus {
  allowed?: boolean;
  denied?: boolean;
}

const REVIEW_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

/**
 * Asks the server about each permission, `concurrency` at a time.
 *
 * @example
 * ```ts
 * import { KubeClient } from 'kloop';
 * declare const kube: KubeClient;
 *
 * const result = await checkPermissions(kube, [
 *   { group: 'apps', resource: 'deployments', verb: 'list', reason: 'owns apps/v1/Deployment' },
 * ]);
 * if (result.missing.length > 0) console.error(result.missing);
 * ```
 */
export async function checkPermissions(
  kube: Pick<KubeClient, 'raw'>,
  permissions: readonly RbacPermission[],
  options: { concurrency?: number } = {},
): Promise<RbacCheckResult> {
  const missing: RbacPermission[] = [];
  let skipped: string | undefined;
  let next = 0;
  const ask = async (p: RbacPermission): Promise<void> => {
    const resourceAttributes: Record<string, string> = { group: p.group, resource: p.resource, verb: p.verb };
    if (p.subresource) resourceAttributes.subresource = p.subresource;
    if (p.namespace) resourceAttributes.namespace = p.namespace;
    if (p.resourceName) resourceAttributes.name = p.resourceName;
    const res = await kube.raw(
      {
        method: 'POST',
        path: REVIEW_PATH,
        body: JSON.stringify({
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes },
        }),
        contentType: 'application/json',
      },
      true,
    );
    if (res.status === 404) {
      skipped = 'the server does not serve SelfSubjectAccessReview';
      return;
    }
    if (res.status === 403) {
      skipped = 'this identity may not create SelfSubjectAccessReviews';
      return;
    }
    if (res.status < 200 || res.status >= 300) {
      throw new ManagerError(
        `RBAC check: ${REVIEW_PATH} answered ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`,
      );
    }
    const status = (JSON.parse(res.body.toString('utf8')) as { status?: AccessReviewStatus }).status;
    if (status?.allowed !== true || status.denied === true) missing.push(p);
  };
  const worker = async (one = false): Promise<void> => {
    while (next < permissions.length && skipped === undefined) {
      const p = permissions[next++]!;
      await ask(p);
      if (one) return;
    }
  };
  // The first alone: a server without the review API answers one 404, not `concurrency`.
  await worker(true);
  const workers = Math.max(1, Math.min(options.concurrency ?? 8, permissions.length));
  await Promise.all(Array.from({ length: workers }, () => worker()));
  if (skipped !== undefined) return { checked: false, skipped, missing: [] };
  // In the order derived, so messages read the same from run to run.
  const order = new Map(permissions.map((p, i) => [p, i]));
  missing.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  return { checked: true, missing };
}
