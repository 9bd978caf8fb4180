/**
 * The HTTP server: routes each request to discovery, the fixed endpoints (`discovery/serve.ts`)
 * or a resource handler (`handlers/`, `patch/`), applies injected faults first, and turns every
 * failure into a Status response. Nothing a
 * client sends can crash it: every handler error becomes a Status, and anything unexpected a 500.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isPlainObject, type KubeObject } from '../core/index.js';
import type { RequestGate } from './auth/security.js';
import { negotiate } from './codec/negotiation.js';
import { serveDiscovery, serveFixed } from './discovery/serve.js';
import {
  methodNotAllowed,
  notAcceptable,
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
import { mediaType, readBody, sendJsonChunks, sendJsonText, sendStatus } from './http/io.js';
import { parsePath, type ResourceTarget } from './http/routes.js';
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
): Promise<{ server: Server; port: number }> {
  const handler: RequestListener = (req, res) => {
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
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (!secure) return serve(cluster, settings, req, res, info, url);
      return secure.gate.serve(req, res, url, () => serve(cluster, settings, req, res, info, url));
    };
    run().catch((err: unknown) => {
      if (!res.headersSent) sendStatus(res, toStatus(err));
      else res.destroy();
    });
  };
  const server: Server = secure
    ? createHttpsServer(
        {
          keepAlive: true,
          cert: secure.cert,
          key: secure.key,
          ca: secure.clientCa,
          requestCert: true,
          rejectUnauthorized: false,
        },
        handler,
      )
    : createServer({ keepAlive: true }, handler);
  // A client that refuses the certificate ends its handshake: nothing to answer.
  if (secure) server.on('tlsClientError', () => {});
  // Watches are long-lived: no server-side request or idle timeout may cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** Body types create and update read: JSON, and the protobuf kubectl 1.32+ sends for a few kinds. */
function isReadableBody(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return (
    type === '' ||
    type === 'application/json' ||
    type === 'application/yaml' ||
    type === 'application/vnd.kubernetes.protobuf' ||
    type === '*/*'
  );
}

async function serve(
  cluster: Cluster,
  settings: ServerSettings,
  req: IncomingMessage,
  res: ServerResponse,
  info: RequestInfo,
  url: URL,
): Promise<void> {
  const target = parsePath(url.pathname);
  const method = req.method ?? 'GET';
  if (target.kind === 'fixed') info.path = target.name;
  else if (target.kind === 'discovery') info.path = 'discovery';
  switch (target.kind) {
    case 'fixed':
      serveFixed(target.name, method, res);
      return;
    case 'discovery':
      serveDiscovery(cluster.types, target, method, req, res);
      return;
    case 'unknown':
      req.resume();
      sendStatus(res, unknownPath().status);
      return;
    case 'resource':
      await serveResource(cluster, settings, target, url.searchParams, req, res, info);
      return;
  }
}

/** The verb of a resource request, or undefined for a method the URL does not allow. */
export function verbOf(method: string, target: ResourceTarget, query: URLSearchParams): Verb | undefined {
  const named = target.name !== undefined;
  const watch = target.watchPrefix === true || query.get('watch') === 'true' || query.get('watch') === '1';
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
    const representation = negotiate(req.headers.accept);
    if (!representation) throw notAcceptable();
    if ((verb === 'create' || verb === 'update') && !isReadableBody(req.headers['content-type'])) {
      throw unsupportedMediaType(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
    }
    const names = resourceNames(served);
    const delay = cluster.faults.delayFor(verb, names);
    if (delay > 0) await new Promise<void>((resolve) => cluster.clock.setTimer(resolve, delay));
    const injected = cluster.faults.errorFor(verb, names);
    if (injected) throw injected;
    // A deprecated custom resource version warns on every request (apiextensions crdHandler).
    if (served.deprecationWarning !== undefined) res.setHeader('Warning', [warningHeader(served.deprecationWarning)]);
    const r: ResourceRequest = { cluster, served, target, query, req, res, settings, body, representation };
    if (verb === 'watch') {
      handleWatch(r);
      return;
    }
    const result = binding
      ? await handleBinding(r)
      : target.subresource === 'scale'
        ? await handleScale(r, verb as 'get' | 'update' | 'patch')
        : await dispatch(verb, r);
    sendResult(res, result, served);
  } catch (err) {
    // Drain an unread body so the keep-alive connection stays usable.
    if (!bodyPromise) req.resume();
    if (err instanceof StatusError) sendStatus(res, err.status);
    else sendStatus(res, toStatus(err));
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

function sendResult(res: ServerResponse, result: HandlerResult, served: ServedType): void {
  if ('json' in result) {
    sendJsonText(res, result.code, result.json);
    return;
  }
  if ('chunks' in result) {
    sendJsonChunks(res, result.code, result.chunks);
    return;
  }
  let json: string;
  const object = isStored(result.body) ? result.body.object : result.body;
  if (served.conversion && object.kind !== 'Status' && isPlainObject(object.metadata)) {
    json = JSON.stringify(served.conversion.fromStorage(object as KubeObject));
  } else json = isStored(result.body) ? result.body.json : JSON.stringify(result.body);
  if (result.warnings && result.warnings.length > 0) {
    const before = res.getHeader('Warning');
    const earlier = Array.isArray(before) ? before : before === undefined ? [] : [String(before)];
    res.setHeader('Warning', [...earlier, ...result.warnings.map(warningHeader)]);
  }
  sendJsonText(res, result.code, json);
}
