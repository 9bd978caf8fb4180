/**
 * Names and namespaces from the URL that cannot be path segments. The API server never resolves
 * `.` or `..` in a request path (`request/requestinfo.go` splits it on `/`), so `%2E%2E` or `..`
 * in the name position is the name `..`: the storage key function refuses it with a 400
 * (`registry/generic/registry/store.go` `NamespaceKeyFunc`, `path.IsValidPathSegmentName`), and
 * a `.` or `..` namespace makes a key etcd refuses (`storage/etcd3/store.go` `prepareKey`, a 500).
 * A create in such a namespace fails in the namespace admission plugin, whose client refuses the
 * name before sending (`Internal error occurred: invalid resource name ...`).
 */
import { makeStatus } from '../../core/index.js';
import { badRequest, internalError, StatusError } from '../errors/status-errors.js';
import type { ServedType } from '../served/served-types.js';
import type { Verb } from '../types.js';

/** `path.IsValidPathSegmentName`: what is wrong with a name as a path segment, if anything. */
export function pathSegmentErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errors: string[] = [];
  if (name.includes('/')) errors.push("may not contain '/'");
  if (name.includes('%')) errors.push("may not contain '%'");
  return errors;
}

/** The registry's key prefix of a resource (`/configmaps`, `/services/specs`, `/example.com/widgets`). */
function keyPrefix(served: ServedType): string {
  const { group, plural } = served.type;
  if (served.custom || group === 'apiextensions.k8s.io') return `/${group}/${plural}`;
  if (group === '' && plural === 'services') return '/services/specs';
  if (group === '' && plural === 'nodes') return '/minions';
  return `/${plural}`;
}

/**
 * Refuses a request whose URL name or namespace the real server would refuse, with its Status:
 * a 400 `Name parameter invalid: "..": may not be '..'` for the name of a named request, a 500
 * for a namespace `.` or `..` (an invalid storage key), a 500 for a create in a namespace that is
 * no path segment. Watches and lists by a namespace like that find nothing, as the watch cache
 * does, and need no check.
 */
export function checkPathSegments(
  served: ServedType,
  verb: Verb,
  namespace: string | undefined,
  name: string | undefined,
): void {
  if (verb === 'watch' || verb === 'list' || verb === 'deletecollection') return;
  if (verb === 'create') {
    if (namespace === undefined) return;
    const errors = pathSegmentErrors(namespace);
    if (errors.length > 0) {
      throw internalError(`invalid resource name ${JSON.stringify(namespace)}: [${errors.join(' ')}]`);
    }
    return;
  }
  if (name === undefined) return;
  if (name === '') throw badRequest('Name parameter required.');
  const errors = pathSegmentErrors(name);
  if (errors.length > 0) throw badRequest(`Name parameter invalid: ${JSON.stringify(name)}: ${errors.join(';')}`);
  if (namespace === '.' || namespace === '..') {
    const key = `${keyPrefix(served)}/${namespace}/${name}`;
    throw new StatusError(makeStatus(500, '', `invalid key: ${JSON.stringify(key)}`));
  }
}
