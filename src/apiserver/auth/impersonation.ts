/**
 * Impersonation (apiserver/pkg/endpoints/filters/impersonation.go): `Impersonate-User`,
 * `Impersonate-Group` (repeatable), `Impersonate-Uid` and `Impersonate-Extra-<key>` make the
 * request act as someone else (`kubectl --as`, `--as-group`, `--as-uid`), provided the real user
 * may `impersonate` each part: `users` (or `serviceaccounts` in the namespace, for
 * `system:serviceaccount:ns:name`, whose groups then come with it), `groups`, and
 * `authentication.k8s.io` `uids` and `userextras/<key>`. The impersonated user is added to
 * `system:authenticated` (or `system:unauthenticated` for `system:anonymous`) unless the groups
 * asked for already say which.
 */
import { badRequest } from '../errors/status-errors.js';
import type { UserInfo } from '../types.js';
import type { ResourceAttributes } from './attributes.js';
import {
  ALL_AUTHENTICATED,
  ALL_UNAUTHENTICATED,
  ANONYMOUS,
  serviceAccountGroups,
  splitServiceAccountUsername,
} from './user.js';

const EXTRA_PREFIX = 'impersonate-extra-';

/** One check the real user must pass, and the user the request becomes when all pass. */
export interface Impersonation {
  /** The `impersonate` checks, in header order. */
  readonly checks: readonly Omit<ResourceAttributes, 'kind'>[];
  readonly user: UserInfo;
}

/** Request headers with every line of a repeated header kept apart (`req.headersDistinct`). */
export type DistinctHeaders = Readonly<Record<string, readonly string[] | undefined>>;

function headerValues(headers: DistinctHeaders, name: string): string[] {
  return (headers[name] ?? []).map((s) => s.trim()).filter((s) => s !== '');
}

/** What the impersonation headers of a request ask for; undefined when there are none. */
export function impersonationOf(headers: DistinctHeaders): Impersonation | undefined {
  const requestedUser = headerValues(headers, 'impersonate-user')[0] ?? '';
  const groupsAsked = headerValues(headers, 'impersonate-group');
  const uid = headerValues(headers, 'impersonate-uid')[0] ?? '';
  const extra: Record<string, string[]> = {};
  for (const [header, value] of Object.entries(headers)) {
    if (!header.startsWith(EXTRA_PREFIX) || value === undefined) continue;
    // Lower-cased, then unescaped (`unescapeExtraKey(strings.ToLower(...))`).
    let key = header.slice(EXTRA_PREFIX.length).toLowerCase();
    try {
      key = decodeURIComponent(key);
    } catch {
      // An undecodable key stays as sent, as Go's unescaping leaves it.
    }
    extra[key] = [...(extra[key] ?? []), ...headerValues(headers, header)];
  }
  const hasExtra = Object.keys(extra).length > 0;
  if (requestedUser === '' && groupsAsked.length === 0 && uid === '' && !hasExtra) return undefined;
  const checks: Omit<ResourceAttributes, 'kind'>[] = [];
  const base = { verb: 'impersonate', apiVersion: 'v1', subresource: '', namespace: '' };
  let username = '';
  let groups: string[] = [];
  if (requestedUser !== '') {
    const sa = splitServiceAccountUsername(requestedUser);
    if (sa) {
      checks.push({ ...base, apiGroup: '', resource: 'serviceaccounts', namespace: sa.namespace, name: sa.name });
      username = requestedUser;
      if (groupsAsked.length === 0) groups = serviceAccountGroups(sa.namespace);
    } else {
      checks.push({ ...base, apiGroup: '', resource: 'users', name: requestedUser });
      username = requestedUser;
    }
  }
  for (const group of groupsAsked) {
    checks.push({ ...base, apiGroup: '', resource: 'groups', name: group });
    groups.push(group);
  }
  for (const [key, values] of Object.entries(extra)) {
    for (const value of values) {
      checks.push({
        ...base,
        apiGroup: 'authentication.k8s.io',
        resource: 'userextras',
        subresource: key,
        name: value,
      });
    }
  }
  if (uid !== '') checks.push({ ...base, apiGroup: 'authentication.k8s.io', resource: 'uids', name: uid });
  if (requestedUser === '') {
    // Go's `%v` of the `[]v1.ObjectReference` asked for: each struct's fields (Kind, Namespace,
    // Name, UID, APIVersion, ResourceVersion, FieldPath) joined by spaces, empty ones too.
    const reference = (kind: string, name: string, apiVersion = '', fieldPath = '') =>
      `{${[kind, '', name, '', apiVersion, '', fieldPath].join(' ')}}`;
    const asked = [
      ...groupsAsked.map((g) => reference('Group', g)),
      ...Object.entries(extra).flatMap(([k, vs]) =>
        vs.map((v) => reference('UserExtra', v, 'authentication.k8s.io/v1', k)),
      ),
      ...(uid === '' ? [] : [reference('UID', uid, 'authentication.k8s.io/v1')]),
    ];
    throw badRequest(`requested [${asked.join(' ')}] without impersonating a user`);
  }
  if (username !== ANONYMOUS) {
    if (!groups.includes(ALL_AUTHENTICATED) && !groups.includes(ALL_UNAUTHENTICATED))
      groups = [...groups, ALL_AUTHENTICATED];
  } else if (!groups.includes(ALL_UNAUTHENTICATED)) groups = [...groups, ALL_UNAUTHENTICATED];
  const user: UserInfo = {
    username,
    groups,
    ...(uid !== '' ? { uid } : {}),
    ...(hasExtra ? { extra } : {}),
  };
  return { checks, user };
}
