/**
 * The OpenAPI endpoints over HTTP, answering as kube-apiserver's handlers do:
 *
 * - `GET /openapi/v3`: the index (kube-aggregator `handleDiscovery`, served with Go's
 *   `http.ServeContent`, which sniffs the JSON as `text/plain; charset=utf-8`).
 * - `GET /openapi/v3/<group-version>[?hash=H]` (kube-openapi `handler3`): JSON (or 406 for an
 *   Accept without JSON or a wildcard), `Etag: "<hash>"`, `Vary: Accept`; with the current hash
 *   `Cache-Control: public, immutable` and a one-year `Expires`; a stale hash is a 301 to the
 *   current URL; an unknown group-version a 404 with an empty body (the aggregator's answer).
 * - `GET /openapi/v2` (kube-openapi `handler`): JSON for `application/json` or a wildcard; for
 *   the protobuf media type kubectl asks for, gnostic's `Document` with the definitions
 *   (`openapi/openapi-v2-protobuf.ts`), what kubectl reads of it. Both share the JSON's Etag, as
 *   upstream's protobuf cache does.
 *
 * Conditional requests (`If-None-Match`, `If-Modified-Since`) get a 304 as `ServeContent` gives.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAccept } from '../codec/negotiation.js';
import type { OpenApiService } from './openapi/openapi-service.js';

const V2_PROTOBUF = 'com.github.proto-openapi.spec.v2.v1.0+protobuf';
const V2_PROTOBUF_DEPRECATED = 'com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** Go's `http.TimeFormat` of a date (seconds). */
function httpDate(date: Date): string {
  return date.toUTCString();
}

/** Seconds since the epoch, as `If-Modified-Since` compares them. */
function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/**
 * `http.ServeContent`: Last-Modified, conditional requests (304), HEAD without a body. Headers
 * set before (`Etag`, `Content-Type`, ...) are kept.
 */
function serveContent(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer | string,
  lastModified: Date,
  headers: Record<string, string>,
): void {
  const etag = headers.Etag;
  const ifNoneMatch = req.headers['if-none-match'];
  const ifModifiedSince = req.headers['if-modified-since'];
  let notModified = false;
  if (ifNoneMatch !== undefined) {
    const tags = ifNoneMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
    notModified = etag !== undefined && (tags.includes('*') || tags.includes(etag));
  } else if (ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince);
    notModified = !Number.isNaN(since) && seconds(lastModified) <= Math.floor(since / 1000);
  }
  if (notModified) {
    // Go's writeNotModified: no Content-Type, and Last-Modified only when there is no Etag.
    const { 'Content-Type': _type, ...rest } = headers;
    res.writeHead(304, etag === undefined ? { ...rest, 'Last-Modified': httpDate(lastModified) } : rest);
    res.end();
    return;
  }
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  res.writeHead(200, {
    ...headers,
    'Accept-Ranges': 'bytes',
    'Last-Modified': httpDate(lastModified),
    'Content-Length': String(length),
  });
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

/** The first of `accepted` subtypes (`application/<subtype>`) an Accept header takes, if any. */
function acceptedSubtype(accept: string | undefined, accepted: readonly string[]): string | undefined {
  for (const clause of parseAccept(accept === undefined || accept === '' ? '*/*' : accept)) {
    for (const subtype of accepted) {
      if (clause.type !== 'application' && clause.type !== '*') continue;
      if (clause.subtype !== subtype && clause.subtype !== '*') continue;
      return subtype;
    }
  }
  return undefined;
}

function empty(res: ServerResponse, code: number, headers: Record<string, string> = {}): void {
  res.writeHead(code, { ...headers, 'Content-Length': '0' });
  res.end();
}

/** `GET /openapi/v3` and `GET /openapi/v3/<document>`. */
export function serveOpenApiV3(
  service: OpenApiService,
  document: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
): void {
  const snapshot = service.current();
  if (document === undefined) {
    serveContent(req, res, snapshot.index, snapshot.builtAt, { 'Content-Type': 'text/plain; charset=utf-8' });
    return;
  }
  const published = snapshot.documents.get(document);
  if (published === undefined) {
    empty(res, 404);
    return;
  }
  // The protobuf form of v3 documents is not served: an Accept naming only it is a 406, as
  // one naming only types the handler does not know.
  if (acceptedSubtype(req.headers.accept, ['json']) === undefined) {
    empty(res, 406, { Vary: 'Accept' });
    return;
  }
  const headers: Record<string, string> = {
    Vary: 'Accept',
    'Content-Type': 'application/json',
    Etag: JSON.stringify(published.hash),
  };
  const hash = query.get('hash');
  if (hash !== null && hash !== '') {
    if (hash !== published.hash) {
      // `http.Redirect` with a Content-Type already set: no body.
      res.writeHead(301, {
        ...headers,
        Location: `/openapi/v3/${document}?hash=${published.hash}`,
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    headers['Cache-Control'] = 'public, immutable';
    const expires = new Date();
    expires.setUTCFullYear(expires.getUTCFullYear() + 1);
    headers.Expires = httpDate(expires);
  }
  serveContent(req, res, published.json, snapshot.builtAt, headers);
}

/** `GET /openapi/v2`. */
export function serveOpenApiV2(service: OpenApiService, req: IncomingMessage, res: ServerResponse): void {
  const subtype = acceptedSubtype(req.headers.accept, ['json', V2_PROTOBUF_DEPRECATED, V2_PROTOBUF]);
  if (subtype === undefined) {
    empty(res, 406, { Vary: 'Accept' });
    return;
  }
  const snapshot = service.current();
  if (subtype === 'json') {
    const v2 = snapshot.v2();
    serveContent(req, res, v2.json, snapshot.builtAt, {
      Vary: 'Accept',
      'Content-Type': 'application/json',
      Etag: JSON.stringify(v2.hash),
    });
    return;
  }
  serveContent(req, res, snapshot.v2Protobuf(), snapshot.builtAt, {
    Vary: 'Accept',
    'Content-Type': `application/${V2_PROTOBUF}`,
    Etag: JSON.stringify(snapshot.v2().hash),
  });
}
