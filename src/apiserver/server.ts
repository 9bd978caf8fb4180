/**
 * The HTTP server: routes each request to discovery, the fixed endpoints (`discovery/serve.ts`),
 * the OpenAPI documents (`discovery/openapi-serve.ts`) or a resource handler (`handlers/`,
 * `patch/`), applies injected faults first, and turns every failure into a Status response in
 * the encoding the client prefers. Nothing a client sends can crash it: every handler error
 * becomes a Status, and anything unexpected a 500.
 *
 * The path is routed as sent (no dot-segment resolution, `http/routes.ts`); the query is read
 * as the API server reads it (`http/query.ts`). Requests other than watches get the API
 * server's deadline: `?timeout=` (a Go duration, capped at the default 60 s) or 60 s, then a 504.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isPlainObject, type JsonObject, type KubeObject } from '../core/index.js';
import type { RequestGate } from './auth/security.js';
import { type Encoding, negotiate, RESOURCE_MEDIA_TYPES, statusEncoding } from './codec/negotiation.js';
import { OpenApiService } from './discovery/openapi/openapi-service.js';
import { serveOpenApiV2, serveOpenApiV3 } from './discovery/openapi-serve.js';
import { serveDiscovery, serveFixed } from './discovery/serve.js';
import {
  badRequest,
  methodNotAllowed,
  notAcceptable,
  requestTimedOut,
  StatusError,
  toStatus,
  unknownPath,
  unsupportedMediaType,
} from './errors/status-errors.js';
import { handleBinding } from './handlers/binding.js';
import { handleDelete, handleDeleteCollection } from './handlers/delete.js';
import { handleGet, handleList } from './handlers/read.js';
import type { HandlerResult, ResourceRequest, ServerSettings } from './handlers/request.js';
import { handleScale } from './handlers/scale.js';
import { handleWatch } from './handlers/watch.js';
import { handleCreate, handleUpdate } from './handlers/write.js';
import {
  applyConnectionLimits,
  connectionLimits,
  type ResolvedConnectionLimits,
  serverOptions,
} from './http/connections.js';
import { mediaType, readBody, sendEncoded, sendJsonChunks, sendStatus, sendText } from './http/io.js';
import { checkPathSegments } from './http/path-segments.js';
import { GoParseError, goParseDuration, queryBool } from './http/query.js';
import { parsePath, type RequestTarget, type ResourceTarget, splitRequestTarget } from './http/routes.js';
import type { RequestInfo, RequestStats } from './http/stats.js';
import { handlePatch } from './patch/handler.js';
import type { Cluster } from './registry/cluster.js';
import { resourceNames, type ServedType } from './served/served-types.js';
import { isStored } from './storage/store.js';
import type { Verb } from './types.js';

/**
 * HTTPS instead of HTTP: the serving certificate, and the CA bundle client certificates are
 * verified against (requested, not required, as kube-apiserver does), with the gate every request
 * passes first (authentication, authorization, audit).
 */
export interface SecureListener {
  readonly cert: string;
  readonly key: string;
  readonly clientCa: string;
  readonly gate: RequestGate;
}

/** Serves `cluster` over HTTP (or HTTPS with `secure`) on `host:port`; resolves once listening. */
export async function listen(
  cluster: Cluster,
  settings: ServerSettings,
  host: string,
  port: number,
  stats: RequestStats,
  secure?: SecureListener,
  limits: ResolvedConnectionLimits = connectionLimits(),
): Promise<{ server: Server; port: number }> {
  const openapi = new OpenApiService(cluster);
  let track: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  const handler: RequestListener = (req, res) => {
    track(req, res);
    const info: RequestInfo = { verb: req.method ?? 'GET', resource: '', group: '', path: 'unknown' };
    const socket = req.socket;
    const writtenAtStart = socket.bytesWritten;
    res.once('close', () => {
      // The request was parsed before this handler ran: count its head and the body read.
      let head = (req.method ?? '').length + (req.url ?? '').length + 12;
      for (const h of req.rawHeaders) head += h.length + 2;
      stats.record(info, res.statusCode, head + (info.bodyBytes ?? 0), socket.bytesWritten - writtenAtStart);
    });
    const run = async () => {
      // The gate and the router read the same raw target: authorization is decided on the path
      // that is served, never on a normalised one (no dot-segment resolution anywhere).
      const target = splitRequestTarget(req.url ?? '/');
      const next = () => serve(cluster, settings, openapi, req, res, info, target);
      return secure ? secure.gate.serve(req, res, target, next) : next();
    };
    run().catch((err: unknown) => {
      if (!res.headersSent) sendStatus(res, toStatus(err), statusEncoding(req.headers.accept));
      else res.destroy();
    });
  };
  const options = { keepAlive: true, ...serverOptions(limits) };
  const server: Server = secure
    ? createHttpsServer(
        {
          ...options,
          cert: secure.cert,
          key: secure.key,
          ca: secure.clientCa,
          requestCert: true,
          rejectUnauthorized: false,
        },
        handler,
      )
    : createServer(options, handler);
  // A client that refuses the certificate ends its handshake: nothing to answer.
  if (secure) server.on('tlsClientError', () => {});
  // Header, body and idle timeouts and the header size limit, answered as Go's server does.
  // (Node's request timeout covers receiving the request only: watches are not cut.)
  track = applyConnectionLimits(server, limits);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** Body types create and update read: JSON, YAML and protobuf (any built-in kind). */
function isReadableBody(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return (
    type === '' ||
    type === 'application/json' ||
    type === 'application/yaml' ||
    type === 'application/vnd.kubernetes.protobuf'
  );
}

/** The longest a request other than a watch may take (`--request-timeout`, 60 s by default). */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * The deadline of a request other than a watch (`filters/request_deadline.go`): `?timeout=` when
 * positive and below the server's limit, the limit otherwise; an invalid value is a 400.
 */
function requestDeadlineMs(query: URLSearchParams): number {
  const value = query.get('timeout');
  if (value === null || value === '') return REQUEST_TIMEOUT_MS;
  let nanos: bigint;
  try {
    nanos = goParseDuration(value);
  } catch (err) {
    if (err instanceof GoParseError) {
      throw badRequest(`invalid timeout specified in the request URL - ${err.message}`);
    }
    throw err;
  }
  const ms = Number(nanos / 1_000_000n);
  return nanos > 0n && ms < REQUEST_TIMEOUT_MS ? ms : REQUEST_TIMEOUT_MS;
}

async function serve(
  cluster: Cluster,
  settings: ServerSettings,
  openapi: OpenApiService,
  req: IncomingMessage,
  res: ServerResponse,
  info: RequestInfo,
  { path, query }: RequestTarget,
): Promise<void> {
  const target = parsePath(path);
  const method = req.method ?? 'GET';
  if (target.kind === 'fixed') info.path = target.name;
  else if (target.kind === 'discovery') info.path = 'discovery';
  const encoding = statusEncoding(req.headers.accept);
  if (target.kind === 'malformed') {
    // Go's HTTP server refuses a request line whose path has a bad escape.
    req.resume();
    sendText(res, 400, '400 Bad Request');
    return;
  }
  const watch = target.kind === 'resource' && method === 'GET' && verbOf(method, target, query) === 'watch';
  let deadlineMs = 0;
  if (!watch) {
    try {
      deadlineMs = requestDeadlineMs(query);
    } catch (err) {
      req.resume();
      sendStatus(res, toStatus(err), encoding);
      return;
    }
  }
  switch (target.kind) {
    case 'fixed':
      if (target.name === 'openapi-v3') serveOpenApiV3(openapi, target.document, req, res, query);
      else if (target.name === 'openapi-v2') serveOpenApiV2(openapi, req, res);
      else serveFixed(target.name, method, res);
      return;
    case 'discovery':
      serveDiscovery(cluster.types, target, method, req, res);
      return;
    case 'unknown':
      req.resume();
      sendStatus(res, unknownPath().status, encoding);
      return;
    case 'resource':
      await serveResource(cluster, settings, target, query, req, res, info, encoding, deadlineMs);
      return;
  }
}

/**
 * The verb of a resource request, or undefined for a method the URL does not allow. `watch` is
 * read as the API server reads booleans (`?watch`, `?watch=True`, `?watch=1` are true); on a
 * named path it changes nothing: a GET of one object (`requestinfo.go`).
 */
export function verbOf(method: string, target: ResourceTarget, query: URLSearchParams): Verb | undefined {
  const named = target.name !== undefined;
  const watch = target.watchPrefix === true || (!named && queryBool(query, 'watch'));
  switch (method) {
    case 'GET':
      if (watch) return 'watch';
      return named ? 'get' : 'list';
    case 'POST':
      return named ? undefined : 'create';
    case 'PUT':
      return named ? 'update' : undefined;
    case 'PATCH':
      return named ? 'patch' : undefined;
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}

async function serveResource(
  cluster: Cluster,
  settings: ServerSettings,
  target: ResourceTarget,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
  info: RequestInfo,
  encoding: Encoding,
  deadlineMs: number,
): Promise<void> {
  delete info.path;
  info.resource = target.plural;
  info.group = target.group;
  if (target.subresource !== undefined) info.subresource = target.subresource;
  let bodyPromise: Promise<Buffer> | undefined;
  const body = () => {
    bodyPromise ??= readBody(req, settings.maxBodyBytes).then((buf) => {
      info.bodyBytes = buf.length;
      return buf;
    });
    return bodyPromise;
  };
  try {
    const served = cluster.types.byResource(target.group, target.version, target.plural);
    if (!served) throw unknownPath();
    if (target.namespace !== undefined && !served.type.namespaced) throw unknownPath();
    const sub = target.subresource;
    const binding = sub === 'binding' && !served.custom && served.storeId === '/pods' && target.name !== undefined;
    if (
      sub !== undefined &&
      !binding &&
      !((sub === 'status' && served.hasStatus) || (sub === 'scale' && served.type.subresources.includes('scale')))
    ) {
      throw unknownPath();
    }
    if (binding && req.method !== 'POST') throw methodNotAllowed();
    const verb = binding ? 'create' : verbOf(req.method ?? 'GET', target, query);
    if (!verb) throw methodNotAllowed();
    info.verb = verb;
    if (!binding && target.subresource !== undefined && verb !== 'get' && verb !== 'update' && verb !== 'patch') {
      throw methodNotAllowed();
    }
    // The scale subresource speaks autoscaling/v1 Scale, which has a protobuf form even for
    // custom resources.
    const protobuf = !served.custom || target.subresource === 'scale';
    const representation = negotiate(req.headers.accept, { protobuf });
    if (!representation) throw notAcceptable();
    if ((verb === 'create' || verb === 'update') && !isReadableBody(req.headers['content-type'])) {
      throw unsupportedMediaType(RESOURCE_MEDIA_TYPES);
    }
    checkPathSegments(served, verb, target.namespace, target.name);
    const names = resourceNames(served);
    const delay = cluster.faults.delayFor(verb, names);
    if (delay > 0) {
      // A slow server, on the cluster's clock: past the deadline the client gets a 504 while the
      // request goes on (its answer is dropped), as the real server's timeout filter does.
      if (verb !== 'watch' && delay >= deadlineMs) {
        const cancelDeadline = cluster.clock.setTimer(
          () => sendStatus(res, requestTimedOut().status, encoding),
          deadlineMs,
        );
        res.once('close', cancelDeadline);
      }
      await new Promise<void>((resolve) => cluster.clock.setTimer(resolve, delay));
    }
    const injected = cluster.faults.errorFor(verb, names);
    if (injected) throw injected;
    // A deprecated custom resource version warns on every request (apiextensions crdHandler).
    if (served.deprecationWarning !== undefined) res.setHeader('Warning', [warningHeader(served.deprecationWarning)]);
    const r: ResourceRequest = { cluster, served, target, query, req, res, settings, body, representation };
    if (verb === 'watch') {
      await handleWatch(r);
      return;
    }
    const result = binding
      ? await handleBinding(r)
      : target.subresource === 'scale'
        ? await handleScale(r, verb as 'get' | 'update' | 'patch')
        : await dispatch(verb, r);
    sendResult(res, result, served, representation.encoding);
  } catch (err) {
    // Drain an unread body so the keep-alive connection stays usable.
    if (!bodyPromise) req.resume();
    if (err instanceof StatusError) sendStatus(res, err.status, encoding);
    else sendStatus(res, toStatus(err), encoding);
  }
}

function dispatch(verb: Verb, r: ResourceRequest): Promise<HandlerResult> | HandlerResult {
  switch (verb) {
    case 'get':
      return handleGet(r);
    case 'list':
      return handleList(r);
    case 'create':
      return handleCreate(r);
    case 'update':
      return handleUpdate(r);
    case 'patch':
      return handlePatch(r);
    case 'delete':
      return handleDelete(r);
    case 'deletecollection':
      return handleDeleteCollection(r);
    default:
      throw methodNotAllowed();
  }
}

/** A `Warning` header value: RFC 7234 warn-code 299 with agent "-", as the real server formats them. */
function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}

function sendResult(res: ServerResponse, result: HandlerResult, served: ServedType, encoding: Encoding): void {
  if ('json' in result) {
    sendEncoded(res, result.code, encoding, result.json);
    return;
  }
  if ('chunks' in result) {
    if (encoding === 'json') sendJsonChunks(res, result.code, result.chunks);
    else sendEncoded(res, result.code, encoding, [...result.chunks].join(''));
    return;
  }
  let json: string;
  let object = isStored(result.body) ? result.body.object : result.body;
  if (served.conversion && object.kind !== 'Status' && isPlainObject(object.metadata)) {
    object = served.conversion.fromStorage(object as KubeObject);
    json = JSON.stringify(object);
  } else json = isStored(result.body) ? result.body.json : JSON.stringify(result.body);
  if (result.warnings && result.warnings.length > 0) {
    const before = res.getHeader('Warning');
    const earlier = Array.isArray(before) ? before : before === undefined ? [] : [String(before)];
    res.setHeader('Warning', [...earlier, ...result.warnings.map(warningHeader)]);
  }
  sendEncoded(res, result.code, encoding, json, object as JsonObject);
}
