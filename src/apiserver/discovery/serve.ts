/**
 * The endpoints that describe the server rather than its objects: discovery documents (`/api`,
 * `/apis`, groups and group versions, aggregated discovery), `/version` and the health checks
 * (`/healthz`, `/readyz`, `/livez`). The OpenAPI documents are `openapi-serve.ts`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { aggregatedDiscoveryVersion } from '../codec/negotiation.js';
import { methodNotAllowed, unknownPath } from '../errors/status-errors.js';
import { sendJsonText, sendStatus, sendText } from '../http/io.js';
import type { DiscoveryTarget, FixedTarget } from '../http/routes.js';
import type { ServedTypes } from '../served/served-types.js';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './documents.js';

/** Answers the fixed endpoints: version and health checks (OpenAPI is `openapi-serve.ts`). */
export function serveFixed(
  name: Exclude<FixedTarget['name'], 'openapi-v2' | 'openapi-v3'>,
  method: string,
  res: ServerResponse,
): void {
  if (method !== 'GET' && method !== 'HEAD') {
    sendStatus(res, methodNotAllowed().status);
    return;
  }
  switch (name) {
    case 'version':
      sendJsonText(res, 200, JSON.stringify(versionInfo()));
      return;
    default:
      sendText(res, 200, 'ok');
  }
}

/** Answers a discovery document (legacy, or aggregated when `Accept` asks for it). */
export function serveDiscovery(
  types: ServedTypes,
  target: DiscoveryTarget,
  method: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (method !== 'GET') {
    sendStatus(res, methodNotAllowed().status);
    return;
  }
  let doc: Record<string, unknown> | undefined;
  const aggregated = aggregatedDiscoveryVersion(req.headers.accept);
  if (aggregated && (target.level === 'api' || target.level === 'apis')) {
    const body = JSON.stringify(aggregatedDiscovery(types, target.level === 'api', aggregated));
    sendJsonText(res, 200, body, {
      'Content-Type': `application/json;g=apidiscovery.k8s.io;v=${aggregated};as=APIGroupDiscoveryList`,
    });
    return;
  }
  switch (target.level) {
    case 'api':
      doc = apiVersions(req.headers.host ?? '127.0.0.1');
      break;
    case 'apis':
      doc = apiGroupList(types);
      break;
    case 'group':
      doc = apiGroup(types, target.group ?? '');
      break;
    case 'groupVersion':
      if (target.group === '' && target.version !== 'v1') doc = undefined;
      else doc = apiResourceList(types, target.group ?? '', target.version ?? '');
      break;
  }
  if (!doc) {
    sendStatus(res, unknownPath().status);
    return;
  }
  sendJsonText(res, 200, JSON.stringify(doc));
}
