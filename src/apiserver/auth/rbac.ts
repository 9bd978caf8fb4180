/**
 * The authorizer: members of `system:masters` may do anything (kube-apiserver's privileged-groups
 * authorizer runs first, with no reason), then RBAC (plugin/pkg/auth/authorizer/rbac/rbac.go and
 * pkg/registry/rbac/validation/rule.go): the rules of every ClusterRoleBinding and, for a
 * namespaced request, every RoleBinding of that namespace whose subjects include the user, in
 * that order; the first rule that allows the request decides. RBAC never denies, it only finds
 * no rule: the request is then refused with the reasons it met on the way (a binding to a role
 * that does not exist: `RBAC: clusterrole.rbac.authorization.k8s.io "x" not found`).
 *
 * The roles are read from the cluster's stores at every request, so a change applies to the
 * next request, as on a real server once its informers have seen it.
 */
import { type KubeObject, keyString } from '../../core/index.js';
import type { Storage } from '../storage/store.js';
import type { PolicyRule, UserInfo } from '../types.js';
import type { Attributes } from './attributes.js';
import { ruleAllows, rulesOf } from './rules.js';
import { SYSTEM_MASTERS, serviceAccountUsername } from './user.js';

/** The RBAC objects an authorizer reads. */
export interface RbacSource {
  clusterRoleBindings(): Iterable<KubeObject>;
  roleBindings(namespace: string): Iterable<KubeObject>;
  clusterRole(name: string): KubeObject | undefined;
  role(namespace: string, name: string): KubeObject | undefined;
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** Storage ids of the four RBAC resources. */
export const RBAC_STORE_IDS = {
  roles: `${RBAC_GROUP}/roles`,
  clusterRoles: `${RBAC_GROUP}/clusterroles`,
  roleBindings: `${RBAC_GROUP}/rolebindings`,
  clusterRoleBindings: `${RBAC_GROUP}/clusterrolebindings`,
} as const;

/** Reads the RBAC objects from the emulator's storage. */
export function storageRbacSource(storage: Storage): RbacSource {
  const objects = function* (id: string, namespace?: string): Generator<KubeObject> {
    for (const stored of storage.resource(id).all(namespace)) yield stored.object;
  };
  return {
    clusterRoleBindings: () => objects(RBAC_STORE_IDS.clusterRoleBindings),
    roleBindings: (namespace) => objects(RBAC_STORE_IDS.roleBindings, namespace),
    clusterRole: (name) => storage.resource(RBAC_STORE_IDS.clusterRoles).get(keyString({ name }))?.object,
    role: (namespace, name) => storage.resource(RBAC_STORE_IDS.roles).get(keyString({ namespace, name }))?.object,
  };
}

/** An authorization decision. RBAC never denies: `allowed: false` is "no rule allows it". */
export interface Decision {
  readonly allowed: boolean;
  /** Why: `RBAC: allowed by ...`, or the errors met while looking; '' when there is nothing to say. */
  readonly reason: string;
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

interface RoleRef {
  kind: string;
  name: string;
}

function subjectsOf(binding: KubeObject): Subject[] {
  const raw = (binding as { subjects?: unknown }).subjects;
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (s): s is Subject =>
      s !== null && typeof s === 'object' && typeof s.kind === 'string' && typeof s.name === 'string',
  );
}

function roleRefOf(binding: KubeObject): RoleRef | undefined {
  const ref = (binding as { roleRef?: unknown }).roleRef as Record<string, unknown> | undefined;
  if (!ref || typeof ref.kind !== 'string' || typeof ref.name !== 'string') return undefined;
  return { kind: ref.kind, name: ref.name };
}

/** Whether `subject` names `user` (Go: `appliesToUser`); `namespace` defaults a ServiceAccount subject's. */
function appliesToUser(user: UserInfo, subject: Subject, namespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.username === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const saNamespace = subject.namespace || namespace;
      if (saNamespace === '') return false;
      return user.username === serviceAccountUsername(saNamespace, subject.name);
    }
    default:
      return false;
  }
}

function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === 'ServiceAccount') {
    return `${subject.kind} ${JSON.stringify(`${subject.name}/${subject.namespace || bindingNamespace}`)}`;
  }
  return `${subject.kind} ${JSON.stringify(subject.name)}`;
}

/** Visits a rule (with the binding that grants it) or an error; returns false to stop. */
type RuleVisitor = (source: string | undefined, rule: PolicyRule | undefined, error: string | undefined) => boolean;

/** RBAC with the privileged `system:masters` group in front. */
export class RbacAuthorizer {
  constructor(private readonly source: RbacSource) {}

  /** Whether `attrs.user` may do what `attrs` asks. */
  authorize(attrs: Attributes): Decision {
    if (attrs.user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    let allowedBy: string | undefined;
    const errors: string[] = [];
    this.visit(attrs.user, attrs.kind === 'resource' ? attrs.namespace : '', (source, rule, error) => {
      if (rule && ruleAllows(attrs, rule)) {
        allowedBy = source;
        return false;
      }
      if (error) errors.push(error);
      return true;
    });
    if (allowedBy !== undefined) return { allowed: true, reason: `RBAC: allowed by ${allowedBy}` };
    return { allowed: false, reason: errors.length === 0 ? '' : `RBAC: ${aggregate(errors)}` };
  }

  /**
   * Every rule `user` holds in `namespace` ('' = cluster-wide bindings only), and the errors met
   * (Go: `RulesFor`; a missing role is an error, the other rules still count).
   */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.visit(user, namespace, (_source, rule, error) => {
      if (rule) rules.push(rule);
      if (error) errors.push(error);
      return true;
    });
    return { rules, errors };
  }

  /** The rules a role reference grants in `namespace`, or the not-found error. */
  roleRefRules(ref: RoleRef, namespace: string): { rules: PolicyRule[] } | { error: string } {
    if (ref.kind === 'ClusterRole') {
      const role = this.source.clusterRole(ref.name);
      if (!role) return { error: `clusterrole.${RBAC_GROUP} ${JSON.stringify(ref.name)} not found` };
      return { rules: rulesOf(role) };
    }
    if (ref.kind === 'Role') {
      const role = namespace === '' ? undefined : this.source.role(namespace, ref.name);
      if (!role) return { error: `role.${RBAC_GROUP} ${JSON.stringify(ref.name)} not found` };
      return { rules: rulesOf(role) };
    }
    return { error: `unsupported role reference kind: ${JSON.stringify(ref.kind)}` };
  }

  private visit(user: UserInfo, namespace: string, visitor: RuleVisitor): void {
    for (const binding of this.source.clusterRoleBindings()) {
      if (!this.visitBinding(binding, user, '', visitor)) return;
    }
    if (namespace === '') return;
    for (const binding of this.source.roleBindings(namespace)) {
      if (!this.visitBinding(binding, user, namespace, visitor)) return;
    }
  }

  /** Visits the rules of one binding if it applies to `user`; false when the visitor stopped. */
  private visitBinding(binding: KubeObject, user: UserInfo, namespace: string, visitor: RuleVisitor): boolean {
    const subject = subjectsOf(binding).find((s) => appliesToUser(user, s, namespace));
    if (!subject) return true;
    const ref = roleRefOf(binding);
    if (!ref) return true;
    const found = this.roleRefRules(ref, namespace);
    if ('error' in found) return visitor(undefined, undefined, found.error);
    const name = String(binding.metadata.name);
    const source =
      namespace === ''
        ? `ClusterRoleBinding ${JSON.stringify(name)} of ${ref.kind} ${JSON.stringify(ref.name)} to ${describeSubject(subject, '')}`
        : `RoleBinding ${JSON.stringify(`${name}/${namespace}`)} of ${ref.kind} ${JSON.stringify(ref.name)} to ${describeSubject(subject, namespace)}`;
    for (const rule of found.rules) if (!visitor(source, rule, undefined)) return false;
    return true;
  }
}

/** Go's `utilerrors.NewAggregate(errs).Error()`: one error as is, several as `[a, b]`. */
export function aggregate(errors: readonly string[]): string {
  return errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
}
