/**
 * List continue tokens, in the real API server's format: base64url (no padding) of
 * `{"v":"meta.k8s.io/v1","rv":<list revision>,"start":"<next key>"}`, the key relative to the
 * list's prefix (the namespace for a namespaced list). Clients treat tokens as opaque; keeping the
 * format makes the emulator's tokens look like a cluster's in logs and tests.
 */
import { badRequest } from '../errors/status-errors.js';

/** A decoded continue token. */
export interface ContinueToken {
  /** The revision of the first page: every page is served as of it. */
  revision: number;
  /** The key to resume from, relative to the list prefix (ends with `\u0000`). */
  start: string;
}

/** Encodes a token. */
export function encodeContinue(token: ContinueToken): string {
  const json = JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.revision, start: token.start });
  return Buffer.from(json, 'utf8').toString('base64url');
}

/**
 * Decodes a token, throwing a 400 BadRequest Status for anything malformed (as the real server's
 * `invalid continue token`).
 */
export function decodeContinue(text: string): ContinueToken {
  const fail = (why: string) => badRequest(`invalid continue token: ${why}`);
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(text)) throw fail('illegal base64 data');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw fail('continue key is not valid: not JSON');
  }
  if (parsed === null || typeof parsed !== 'object') throw fail('continue key is not valid');
  const { v, rv, start } = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (v !== 'meta.k8s.io/v1') throw fail('continue key is not valid: server does not recognize this encoding');
  if (typeof rv !== 'number' || !Number.isSafeInteger(rv) || rv <= 0) {
    throw fail('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (typeof start !== 'string' || start === '') throw fail('continue key is not valid: encoded start key empty');
  // The real server rejects keys that could walk out of the resource's prefix.
  if (start.startsWith('/') || start.split('/').includes('..')) throw fail('continue key is not valid: path traversal');
  return { revision: rv, start };
}
