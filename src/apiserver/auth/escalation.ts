/**
 * RBAC escalation prevention (pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}
 * /policybased and pkg/registry/rbac/validation/rule.go `ConfirmNoEscalation`): a user may write a
 * Role or ClusterRole only with rules they hold themselves (in the role's namespace, or cluster-wide
 * for a ClusterRole) unless they may `escalate` it, and may bind a role only if they hold its rules
 * unless they may `bind` it. Members of `system:masters` may do anything. Setting or changing a
 * ClusterRole's `aggregationRule` needs every permission (it can gather anything).
 *
 * The refusal is a 403 on the object: `roles.rbac.authorization.k8s.io "x" is forbidden: user
 * "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently
 * held:` and one line per missing rule in its compact form.
 */
import { deepEqual, type KubeObject } from '../../core/index.js';
import { forbidden } from '../errors/status-errors.js';
import type { ServedType } from '../served/served-types.js';
import type { PolicyRule, UserInfo } from '../types.js';
import type { RbacAuthorizer } from './rbac.js';
import { compactRules, compactString, covers, goQuotedList, rulesOf } from './rules.js';
import { SYSTEM_MASTERS } from './user.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

/** Metadata a write may change without being checked: what the garbage collector changes, and what the server sets. */
const UNCHECKED_METADATA = [
  'ownerReferences',
  'finalizers',
  'managedFields',
  'resourceVersion',
  'uid',
  'creationTimestamp',
  'generation',
];

function withoutUnchecked(obj: KubeObject): unknown {
  const metadata: Record<string, unknown> = { ...obj.metadata };
  for (const key of UNCHECKED_METADATA) delete metadata[key];
  const { apiVersion: _apiVersion, ...rest } = obj;
  return { ...rest, metadata };
}

/** True when an update changes only what needs no check (Go: `IsOnlyMutatingGCFields`). */
function onlyUncheckedChanges(obj: KubeObject, old: KubeObject | undefined): boolean {
  return old !== undefined && deepEqual(withoutUnchecked(obj), withoutUnchecked(old));
}

/** Refuses RBAC writes that would grant `user` more than it holds. */
export class EscalationCheck {
  constructor(private readonly authorizer: RbacAuthorizer) {}

  /** Checks a create (`old` undefined) or update of `obj` by `user`; throws a 403 StatusError to refuse. */
  check(served: ServedType, obj: KubeObject, old: KubeObject | undefined, user: UserInfo): void {
    const { group, plural } = served.type;
    if (group !== RBAC_GROUP) return;
    if (user.groups.includes(SYSTEM_MASTERS)) return;
    if (onlyUncheckedChanges(obj, old)) return;
    const namespace = served.type.namespaced ? String(obj.metadata.namespace ?? '') : '';
    const name = String(obj.metadata.name ?? '');
    const ref = { group, plural };
    // The escalate and bind checks name the object of the URL, which a create does not have.
    const urlName = old === undefined ? '' : name;
    if (plural === 'roles' || plural === 'clusterroles') {
      if (this.allows(user, 'escalate', plural, namespace, urlName)) return;
      const missing = this.missing(user, namespace, rulesOf(obj));
      if (missing) throw forbidden(ref, name, missing);
      const hasAggregation = (o: KubeObject | undefined) =>
        o !== undefined && (o as { aggregationRule?: unknown }).aggregationRule != null;
      if (plural === 'clusterroles' && (hasAggregation(obj) || hasAggregation(old))) {
        if (this.missing(user, namespace, FULL_AUTHORITY)) {
          throw forbidden(ref, name, 'must have cluster-admin privileges to use the aggregationRule');
        }
      }
      return;
    }
    if (plural === 'rolebindings' || plural === 'clusterrolebindings') {
      const roleRef = (obj as { roleRef?: { kind?: unknown; name?: unknown } }).roleRef;
      const kind = typeof roleRef?.kind === 'string' ? roleRef.kind : '';
      const roleName = typeof roleRef?.name === 'string' ? roleRef.name : '';
      const roleResource = kind === 'ClusterRole' ? 'clusterroles' : kind === 'Role' ? 'roles' : undefined;
      if (roleResource && this.allows(user, 'bind', roleResource, namespace, roleName)) return;
      const rules = this.authorizer.roleRefRules({ kind, name: roleName }, namespace);
      if ('error' in rules) throw forbidden(ref, name, rules.error);
      const missing = this.missing(user, namespace, rules.rules);
      if (missing) throw forbidden(ref, name, missing);
    }
  }

  private allows(user: UserInfo, verb: string, resource: string, namespace: string, name: string): boolean {
    return this.authorizer.authorize({
      kind: 'resource',
      user,
      verb,
      apiGroup: RBAC_GROUP,
      apiVersion: '*',
      resource,
      subresource: '',
      namespace,
      name,
    }).allowed;
  }

  /** The refusal text when `user` does not hold every rule of `wanted` in `namespace`; undefined when it does. */
  private missing(user: UserInfo, namespace: string, wanted: readonly PolicyRule[]): string | undefined {
    const held = this.authorizer.rulesFor(user, namespace);
    const { covered, missing } = covers(held.rules, wanted);
    if (covered) return undefined;
    const lines = [...new Set(compactRules(missing).map(compactString))].sort();
    let message = `user ${JSON.stringify(user.username)} (groups=${goQuotedList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
    if (held.errors.length > 0) message += `; resolution errors: ${goErrorList(held.errors)}`;
    return message;
  }
}

/** Go's `%v` of a `[]error`: `[a b]`. */
function goErrorList(errors: readonly string[]): string {
  return `[${errors.join(' ')}]`;
}
