/**
 * RBAC rules as the API server reads them: whether a rule allows a request
 * (pkg/apis/rbac/v1/evaluation_helpers.go, plugin/pkg/auth/authorizer/rbac/rbac.go `RuleAllows`),
 * and whether a set of rules covers another (escalation prevention,
 * pkg/registry/rbac/validation/policy_comparator.go), with the compact text the refusal prints.
 *
 * The matching rules, all of which must hold: the verb is listed or `*`; the API group is listed
 * or `*`; the resource is `*`, or equals the request's `resource/subresource`, or is
 * the wildcard resource with the request's subresource (`*` + `/scale` matches `deployments/scale`;
 * `pods` does not match `pods/status`); `resourceNames` is empty or lists
 * the request's name (so a request without a name, such as create or list, never matches a
 * name-restricted rule); a path matches a listed URL, `*`, or a prefix ending in `*`.
 */

import type { PolicyRule } from '../types.js';
import { combinedResource, type RequestAttributes } from './attributes.js';

const ALL = '*';

function has(list: readonly string[] | undefined, value: string): boolean {
  return list?.includes(value) === true;
}

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return has(rule.verbs, ALL) || has(rule.verbs, verb);
}

function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return has(rule.apiGroups, ALL) || has(rule.apiGroups, group);
}

function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === ALL || r === combined) return true;
    if (subresource !== '' && r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) {
      return true;
    }
  }
  return false;
}

function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

/** True when `url` is `pattern`, or `pattern` is `*` or ends in `*` and `url` starts with what comes before. */
export function nonResourceURLMatches(pattern: string, url: string): boolean {
  if (pattern === ALL || pattern === url) return true;
  return pattern.endsWith('*') && url.startsWith(pattern.replace(/\*+$/, ''));
}

/** Whether `rule` allows the request `attrs`. */
export function ruleAllows(attrs: RequestAttributes, rule: PolicyRule): boolean {
  if (attrs.kind === 'resource') {
    return (
      verbMatches(rule, attrs.verb) &&
      apiGroupMatches(rule, attrs.apiGroup) &&
      resourceMatches(rule, combinedResource(attrs), attrs.subresource) &&
      resourceNameMatches(rule, attrs.name)
    );
  }
  return (
    verbMatches(rule, attrs.verb) && (rule.nonResourceURLs ?? []).some((u) => nonResourceURLMatches(u, attrs.path))
  );
}

/** One rule split into rules of one verb, group, resource and name (or one URL and verb) each. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        const names = rule.resourceNames ?? [];
        if (names.length > 0) {
          for (const name of names)
            out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
        } else out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) {
    for (const verb of rule.verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  }
  return out;
}

function hasAll(set: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  return (wanted ?? []).every((w) => has(set, w));
}

function resourcesCover(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  if (has(owner, ALL) || hasAll(owner, wanted)) return true;
  for (const path of wanted ?? []) {
    if (has(owner, path)) continue;
    const slash = path.indexOf('/');
    if (slash < 0) return false;
    if (!has(owner, `*/${path.slice(slash + 1)}`)) return false;
  }
  return true;
}

function urlsCover(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  return (wanted ?? []).every((path) =>
    (owner ?? []).some((o) => o === path || (o.endsWith('*') && path.startsWith(o.replace(/\*+$/, '')))),
  );
}

/** Whether `owner` grants everything `sub` does (Go: `ruleCovers`). */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, ALL) || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, ALL) || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourcesCover(owner.resources, sub.resources);
  const urls = urlsCover(owner.nonResourceURLs, sub.nonResourceURLs);
  const ownerNames = owner.resourceNames ?? [];
  const subNames = sub.resourceNames ?? [];
  const names =
    subNames.length === 0 ? ownerNames.length === 0 : ownerNames.length === 0 || hasAll(ownerNames, subNames);
  return verbs && groups && resources && names && urls;
}

/**
 * Whether `owner` rules cover every rule of `servant`, and the pieces they do not (Go: `Covers`).
 */
export function covers(
  owner: readonly PolicyRule[],
  servant: readonly PolicyRule[],
): { covered: boolean; missing: PolicyRule[] } {
  const missing: PolicyRule[] = [];
  for (const rule of servant) {
    for (const piece of breakdownRule(rule)) {
      if (!owner.some((o) => ruleCovers(o, piece))) missing.push(piece);
    }
  }
  return { covered: missing.length === 0, missing };
}

/**
 * Merges rules that name one group and one resource (and at most one name) and differ only in
 * their verbs (Go: `CompactRules`), for the escalation message.
 */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<
    string,
    { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }
  >();
  for (const rule of rules) {
    const names = rule.resourceNames ?? [];
    const isSimple =
      names.length <= 1 &&
      (rule.nonResourceURLs ?? []).length === 0 &&
      (rule.apiGroups ?? []).length === 1 &&
      (rule.resources ?? []).length === 1;
    if (!isSimple) {
      out.push(rule);
      continue;
    }
    const key = JSON.stringify([rule.apiGroups, rule.resources, names]);
    const existing = simple.get(key);
    if (existing) {
      for (const v of rule.verbs) if (!existing.verbs.includes(v)) existing.verbs.push(v);
    } else {
      simple.set(key, {
        apiGroups: [...(rule.apiGroups ?? [])],
        resources: [...(rule.resources ?? [])],
        verbs: [...rule.verbs],
        ...(names.length > 0 ? { resourceNames: [...names] } : {}),
      });
    }
  }
  return [...out, ...simple.values()];
}

/** A Go `%q` of a string slice: `["a" "b"]`. */
export function goQuotedList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
}

/** The rule as escalation refusals print it (Go: `CompactString`): `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`. */
export function compactString(rule: PolicyRule): string {
  const parts: string[] = [];
  if ((rule.apiGroups ?? []).length > 0) parts.push(`APIGroups:${goQuotedList(rule.apiGroups ?? [])}`);
  if ((rule.resources ?? []).length > 0) parts.push(`Resources:${goQuotedList(rule.resources ?? [])}`);
  if ((rule.nonResourceURLs ?? []).length > 0)
    parts.push(`NonResourceURLs:${goQuotedList(rule.nonResourceURLs ?? [])}`);
  if ((rule.resourceNames ?? []).length > 0) parts.push(`ResourceNames:${goQuotedList(rule.resourceNames ?? [])}`);
  if (rule.verbs.length > 0) parts.push(`Verbs:${goQuotedList(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** Reads the `rules` of a Role or ClusterRole, skipping malformed entries. */
export function rulesOf(obj: { readonly [key: string]: unknown }): PolicyRule[] {
  const raw = obj.rules;
  if (!Array.isArray(raw)) return [];
  const out: PolicyRule[] = [];
  for (const r of raw) {
    if (r === null || typeof r !== 'object') continue;
    const rec = r as Record<string, unknown>;
    const list = (v: unknown): string[] | undefined =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
    const rule: { -readonly [K in keyof PolicyRule]: PolicyRule[K] } = { verbs: list(rec.verbs) ?? [] };
    const groups = list(rec.apiGroups);
    if (groups) rule.apiGroups = groups;
    const resources = list(rec.resources);
    if (resources) rule.resources = resources;
    const names = list(rec.resourceNames);
    if (names) rule.resourceNames = names;
    const urls = list(rec.nonResourceURLs);
    if (urls) rule.nonResourceURLs = urls;
    out.push(rule);
  }
  return out;
}
