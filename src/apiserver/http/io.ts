/**
 * HTTP plumbing: bounded body reading, JSON and Status responses. Responses always carry
 * `Content-Type: application/json` exactly (kubectl 1.27.0-1.27.1 reject a charset parameter).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Status } from '../../core/index.js';
import { entityTooLarge } from '../errors/status-errors.js';

/** The body limit of the real stack: etcd refuses requests over ~3 MiB. */
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

/** Sends a Status, with `Retry-After` when it says so. */
export function sendStatus(res: ServerResponse, status: Status): void {
  const retry = status.details?.retryAfterSeconds;
  sendJsonText(
    res,
    status.code,
    JSON.stringify(status),
    retry !== undefined ? { 'Retry-After': String(retry) } : undefined,
  );
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
