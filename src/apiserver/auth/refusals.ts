/**
 * The answers of a refused request, word for word as kube-apiserver writes them: 401
 * `Unauthorized` (apiserver/pkg/endpoints/handlers/responsewriters `Unauthorized`) and 403
 * Forbidden with the authorizer's message (responsewriters/errors.go `forbiddenMessage`, wrapped
 * by apimachinery's `NewForbidden`), `&`, `<` and `>` escaped as the real writer escapes them.
 */
import type { Status } from '../../core/index.js';
import { failureStatus, type StatusError, statusError } from '../errors/status-errors.js';
import { type Attributes, combinedResource } from './attributes.js';

/** The 401 body: `{"kind":"Status",...,"message":"Unauthorized","reason":"Unauthorized","code":401}`. */
export function unauthorizedStatus(): Status {
  return failureStatus('Unauthorized', 'Unauthorized');
}

function sanitize(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `User "bob" cannot list resource "pods" in API group "" in the namespace "default"`. */
export function forbiddenMessage(attrs: Attributes): string {
  const user = JSON.stringify(attrs.user.username);
  if (attrs.kind === 'path') return `User ${user} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
  const what = `User ${user} cannot ${attrs.verb} resource ${JSON.stringify(combinedResource(attrs))} in API group ${JSON.stringify(attrs.apiGroup)}`;
  return attrs.namespace !== ''
    ? `${what} in the namespace ${JSON.stringify(attrs.namespace)}`
    : `${what} at the cluster scope`;
}

/** The 403 of a request the authorizer did not allow; `reason` follows after `: ` when there is one. */
export function forbiddenError(attrs: Attributes, reason: string): StatusError {
  const message = sanitize(forbiddenMessage(attrs)) + (reason === '' ? '' : `: ${reason}`);
  if (attrs.kind === 'path') return statusError('Forbidden', `forbidden: ${message}`, {});
  const qualified = attrs.apiGroup === '' ? attrs.resource : `${attrs.resource}.${attrs.apiGroup}`;
  const target = attrs.name === '' ? qualified : `${qualified} ${JSON.stringify(attrs.name)}`;
  const details: Status['details'] = {};
  if (attrs.name !== '') details.name = attrs.name;
  if (attrs.apiGroup !== '') details.group = attrs.apiGroup;
  details.kind = attrs.resource;
  return statusError('Forbidden', `${target} is forbidden: ${message}`, details);
}
