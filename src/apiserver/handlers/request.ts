/**
 * What a resource handler receives: the parsed target, the served type, the query, the raw
 * request and response, and the cluster. Handlers return a {@link HandlerResult} for the server
 * to send, except watch, which owns its streaming response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Representation } from '../codec/negotiation.js';
import type { ResourceTarget } from '../http/routes.js';
import type { Cluster } from '../registry/cluster.js';
import type { WriteResult } from '../registry/types.js';
import type { ServedType } from '../served/served-types.js';

/** Server-wide settings handlers need. */
export interface ServerSettings {
  bookmarkIntervalMs: number;
  maxBodyBytes: number;
  /** The WatchList feature: watches may stream their initial state (`sendInitialEvents`). */
  watchList: boolean;
  /**
   * How long a read at a resourceVersion not reached yet waits, on the cluster's clock, before
   * its 504 (default 3 s, as upstream).
   */
  resourceVersionWaitMs?: number;
}

/** One request to a resource URL. */
export interface ResourceRequest {
  readonly cluster: Cluster;
  readonly served: ServedType;
  readonly target: ResourceTarget;
  readonly query: URLSearchParams;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly settings: ServerSettings;
  /** How objects are rendered in the response (from `Accept`). */
  readonly representation: Representation;
  /** The request body (read once, bounded by `maxBodyBytes`). */
  body(): Promise<Buffer>;
}

/**
 * A finished response: code and body (a stored object, a plain object, prebuilt JSON text, or
 * JSON text in chunks for big lists, which the server writes as the socket drains).
 */
export type HandlerResult = WriteResult | { code: number; json: string } | { code: number; chunks: Iterable<string> };

/** True for `dryRun=All`; other values are a 422 on the real server. */
export function isDryRun(query: URLSearchParams): boolean {
  return query.getAll('dryRun').includes('All');
}

/**
 * The field manager of a write: `fieldManager`, else the User-Agent up to its first `/`
 * (the real server's default, e.g. `kubectl` for `kubectl/v1.33.1 (linux/amd64)`).
 */
export function managerOf(query: URLSearchParams, userAgent: string | undefined): string {
  const explicit = query.get('fieldManager');
  if (explicit) return explicit;
  const prefix = (userAgent ?? '').split('/')[0].trim();
  return prefix === '' ? 'unknown' : prefix.slice(0, 128);
}

/**
 * `fieldValidation` (default Warn). Values are validated with the rest of the write options
 * (`writeOptions` in `options.ts`, a 422); here an unknown value reads as the default.
 */
export function fieldValidationOf(query: URLSearchParams): 'Ignore' | 'Warn' | 'Strict' {
  const v = query.get('fieldValidation');
  return v === 'Ignore' || v === 'Strict' ? v : 'Warn';
}
