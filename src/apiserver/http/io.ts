/**
 * HTTP plumbing: bounded body reading, and object and Status responses in the negotiated
 * encoding. JSON responses carry `Content-Type: application/json` exactly (kubectl
 * 1.27.0-1.27.1 reject a charset parameter); protobuf ones `application/vnd.kubernetes.protobuf`,
 * falling back to JSON for an object without a protobuf form (a custom resource, a Table), as
 * the API server's negotiation does; YAML ones `application/yaml`, keys sorted as Go's YAML
 * writer sorts them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dump } from 'js-yaml';
import type { JsonObject, Status } from '../../core/index.js';
import type { Encoding } from '../codec/negotiation.js';
import { encodeProtobufObject, PROTOBUF_MEDIA_TYPE } from '../codec/protobuf.js';
import { entityTooLarge } from '../errors/status-errors.js';

/** The API server's `--max-request-bytes` default (3 MiB; twice etcd's, for JSON's overhead). */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Reads the whole body; rejects with a 413 Status past `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(entityTooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(entityTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(err);
      }
    });
    // A connection closed mid-body (a timed-out trickle) must not leave the reader waiting.
    req.on('close', () => {
      if (!failed && !req.complete) {
        failed = true;
        reject(new Error('the request body was cut off'));
      }
    });
  });
}

/** Sends a JSON text with a status code. */
export function sendJsonText(res: ServerResponse, code: number, json: string, headers?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  // The socket encodes the string as it writes it: no extra copy into a Buffer here.
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(json, 'utf8')),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(json, 'utf8');
}

/**
 * Sends JSON text given in chunks (a big list), chunked transfer encoding as the real server
 * uses for big bodies. The next chunk is built only once the socket took the previous one, so
 * memory stays at a few chunks whatever the list size.
 *
 * @remarks A client that goes away mid-body stops the writing; nothing is retried.
 */
export function sendJsonChunks(res: ServerResponse, code: number, chunks: Iterable<string>): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  const it = chunks[Symbol.iterator]();
  const pump = (): void => {
    for (;;) {
      if (res.destroyed) return;
      const next = it.next();
      if (next.done) {
        res.end();
        return;
      }
      if (!res.write(next.value, 'utf8')) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

/** Sends a Status in the encoding the client prefers, with `Retry-After` when it says so. */
export function sendStatus(res: ServerResponse, status: Status, encoding: Encoding = 'json'): void {
  const retry = status.details?.retryAfterSeconds;
  sendEncoded(
    res,
    status.code,
    encoding,
    JSON.stringify(status),
    status as unknown as JsonObject,
    retry !== undefined ? { 'Retry-After': String(retry) } : undefined,
  );
}

/**
 * Sends an object in `encoding`: its JSON text as is, or the object (parsed from the text when
 * not given) as YAML or protobuf. Protobuf falls back to JSON for an object without a protobuf
 * form.
 */
export function sendEncoded(
  res: ServerResponse,
  code: number,
  encoding: Encoding,
  json: string,
  object?: JsonObject,
  headers?: Record<string, string>,
): void {
  if (encoding === 'json' || res.headersSent || res.destroyed) {
    sendJsonText(res, code, json, headers);
    return;
  }
  const value = object ?? (JSON.parse(json) as JsonObject);
  if (encoding === 'yaml') {
    sendBytes(
      res,
      code,
      'application/yaml',
      Buffer.from(dump(value, { sortKeys: true, lineWidth: -1, noArrayIndent: true, quotingType: '"' }), 'utf8'),
      headers,
    );
    return;
  }
  const bytes = encodeProtobufObject(value);
  if (bytes === undefined) sendJsonText(res, code, json, headers);
  else sendBytes(res, code, PROTOBUF_MEDIA_TYPE, bytes, headers);
}

/** Sends bytes of a media type. */
export function sendBytes(
  res: ServerResponse,
  code: number,
  contentType: string,
  body: Buffer,
  headers?: Record<string, string>,
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': String(body.length),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(body);
}

/** Sends a plain text body (health endpoints). */
export function sendText(
  res: ServerResponse,
  code: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** The media type of a Content-Type header, parameters stripped, lower case. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}
