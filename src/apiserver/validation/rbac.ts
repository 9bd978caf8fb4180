/**
 * Validation of the RBAC kinds, ported from `pkg/apis/rbac/validation/validation.go` (1.33): every
 * rule has verbs and either resources with API groups or (cluster roles only) non-resource URLs;
 * aggregation rules have selectors; bindings refer to a Role or ClusterRole of
 * `rbac.authorization.k8s.io` by a path-segment name, their subjects are ServiceAccounts (with a
 * valid name, and a namespace in cluster bindings), Users or Groups; `roleRef` never changes.
 *
 * `apiGroup`s left empty are read as the defaults the real server's decoder fills in
 * (`rbac.authorization.k8s.io` for `roleRef` and for User and Group subjects).
 */
import { deepEqual, isPlainObject, type KubeObject } from '../../core/index.js';
import { type FieldErrors, GoSyntax, goQuote, goStringSlice } from './field-errors.js';
import { isDns1123Subdomain, isValidPathSegmentName } from './names.js';
import { validateLabelSelector } from './object-meta.js';

type Obj = Record<string, unknown>;

const GROUP = 'rbac.authorization.k8s.io';

function objectAt(value: unknown): Obj {
  return isPlainObject(value) ? value : {};
}

function count(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

/** `ValidatePolicyRule`. */
function validateRule(rule: Obj, namespaced: boolean, path: string, errs: FieldErrors): void {
  if (count(rule.verbs) === 0) errs.required(`${path}.verbs`, 'verbs must contain at least one value');
  if (count(rule.nonResourceURLs) > 0) {
    const urls = goStringSlice(rule.nonResourceURLs);
    if (namespaced) errs.invalid(`${path}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs');
    if (count(rule.apiGroups) > 0 || count(rule.resources) > 0 || count(rule.resourceNames) > 0) {
      errs.invalid(
        `${path}.nonResourceURLs`,
        urls,
        'rules cannot apply to both regular resources and non-resource URLs',
      );
    }
    return;
  }
  if (count(rule.apiGroups) === 0)
    errs.required(`${path}.apiGroups`, 'resource rules must supply at least one api group');
  if (count(rule.resources) === 0)
    errs.required(`${path}.resources`, 'resource rules must supply at least one resource');
}

/** `ValidateRole` / `ValidateClusterRole` (rules, aggregation rule). */
export function validateRole(obj: KubeObject, namespaced: boolean, errs: FieldErrors): void {
  const rules = Array.isArray(obj.rules) ? obj.rules : [];
  rules.forEach((rule, i) => {
    validateRule(objectAt(rule), namespaced, `rules[${i}]`, errs);
  });
  if (!namespaced && obj.aggregationRule !== undefined && obj.aggregationRule !== null) {
    const selectors = objectAt(obj.aggregationRule).clusterRoleSelectors;
    if (count(selectors) === 0) {
      errs.required(
        'aggregationRule.clusterRoleSelectors',
        'at least one clusterRoleSelector required if aggregationRule is non-nil',
      );
    }
    (Array.isArray(selectors) ? selectors : []).forEach((selector, i) => {
      validateLabelSelector(selector, `aggregationRule.clusterRoleSelectors[${i}]`, errs);
    });
  }
}

/** `ValidateRoleBindingSubject`. */
function validateSubject(subject: Obj, namespaced: boolean, path: string, errs: FieldErrors): void {
  const name = typeof subject.name === 'string' ? subject.name : '';
  const apiGroup = typeof subject.apiGroup === 'string' ? subject.apiGroup : '';
  if (name === '') errs.required(`${path}.name`);
  switch (subject.kind) {
    case 'ServiceAccount':
      if (name !== '') for (const msg of isDns1123Subdomain(name)) errs.invalid(`${path}.name`, name, msg);
      if (apiGroup !== '') errs.notSupported(`${path}.apiGroup`, apiGroup, ['']);
      if (!namespaced && (typeof subject.namespace !== 'string' || subject.namespace === '')) {
        errs.required(`${path}.namespace`);
      }
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== '' && apiGroup !== GROUP) errs.notSupported(`${path}.apiGroup`, apiGroup, [GROUP]);
      break;
    default:
      errs.notSupported(`${path}.kind`, String(subject.kind ?? ''), ['ServiceAccount', 'User', 'Group']);
  }
}

/** Go's `%#v` of an `rbac.RoleRef`. */
function goRoleRef(ref: Obj): GoSyntax {
  const s = (v: unknown) => goQuote(typeof v === 'string' ? v : '');
  return new GoSyntax(`rbac.RoleRef{APIGroup:${s(ref.apiGroup || GROUP)}, Kind:${s(ref.kind)}, Name:${s(ref.name)}}`);
}

/** `ValidateRoleBinding` / `ValidateClusterRoleBinding`, and on update `roleRef` unchanged. */
export function validateBinding(
  obj: KubeObject,
  old: KubeObject | undefined,
  namespaced: boolean,
  errs: FieldErrors,
): void {
  const ref = objectAt(obj.roleRef);
  const apiGroup = typeof ref.apiGroup === 'string' && ref.apiGroup !== '' ? ref.apiGroup : GROUP;
  if (apiGroup !== GROUP) errs.notSupported('roleRef.apiGroup', apiGroup, [GROUP]);
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  const kind = typeof ref.kind === 'string' ? ref.kind : '';
  if (!kinds.includes(kind)) errs.notSupported('roleRef.kind', kind, kinds);
  const name = typeof ref.name === 'string' ? ref.name : '';
  if (name === '') errs.required('roleRef.name');
  else for (const msg of isValidPathSegmentName(name)) errs.invalid('roleRef.name', name, msg);
  const subjects = Array.isArray(obj.subjects) ? obj.subjects : [];
  subjects.forEach((subject, i) => {
    validateSubject(objectAt(subject), namespaced, `subjects[${i}]`, errs);
  });
  if (old !== undefined) {
    const oldRef = objectAt(old.roleRef);
    const norm = (r: Obj) => ({ apiGroup: r.apiGroup || GROUP, kind: r.kind ?? '', name: r.name ?? '' });
    if (!deepEqual(norm(ref), norm(oldRef))) errs.invalid('roleRef', goRoleRef(ref), 'cannot change roleRef');
  }
}
