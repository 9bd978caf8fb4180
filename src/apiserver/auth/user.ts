/**
 * The well-known users and groups of Kubernetes authentication, and service account user names
 * (apiserver/pkg/authentication/user and .../serviceaccount/util.go).
 */
import type { UserInfo } from '../types.js';

/** Every authenticated user is in this group. */
export const ALL_AUTHENTICATED = 'system:authenticated';
/** The anonymous user's group. */
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
/** The user of requests without credentials. */
export const ANONYMOUS = 'system:anonymous';
/** Members may do anything, before RBAC is asked (kube-apiserver's privileged groups). */
export const SYSTEM_MASTERS = 'system:masters';
/** Every service account is in this group. */
export const ALL_SERVICE_ACCOUNTS = 'system:serviceaccounts';

const SA_PREFIX = 'system:serviceaccount:';

/** `system:serviceaccount:<namespace>:<name>`. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SA_PREFIX}${namespace}:${name}`;
}

/** The groups of a service account: `system:serviceaccounts` and `system:serviceaccounts:<namespace>`. */
export function serviceAccountGroups(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS, `${ALL_SERVICE_ACCOUNTS}:${namespace}`];
}

/** Namespace and name of a service account user name, or undefined for any other name. */
export function splitServiceAccountUsername(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const parts = username.slice(SA_PREFIX.length).split(':');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return undefined;
  return { namespace: parts[0], name: parts[1] };
}

/** `user` with `system:authenticated` added unless it is there (the authenticated-group adder). */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes(ALL_AUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, ALL_AUTHENTICATED] };
}

/** The anonymous user. */
export const ANONYMOUS_USER: UserInfo = Object.freeze({
  username: ANONYMOUS,
  groups: Object.freeze([ALL_UNAUTHENTICATED]),
});
