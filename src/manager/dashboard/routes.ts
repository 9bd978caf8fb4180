/**
 * The dashboard's paths on the debug listener: `/ui` (the page), `/ui/app.js` and `/ui/app.css`
 * (its bundle), `/ui/events` (the live feed, server-sent events) and `/ui/snapshot` (the feed's
 * first message as plain JSON, for scripts and tests). Only the debug listener serves them: the
 * page shows what `/debug/kloop` shows, and is as private.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ASSET_FILES, DashboardAssets } from './assets.js';
import type { DashboardHub } from './hub.js';

/** Headers of every dashboard answer: nothing from elsewhere, not framed, not cached by proxies. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** Serves the dashboard's paths. */
export interface DashboardRoutes {
  /** True for the paths it serves (`/ui` and below). */
  matches(pathname: string): boolean;
  /** Lists the paths, for the 404 of the listener. */
  readonly paths: readonly string[];
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

/**
 * The routes of one hub.
 *
 * @example
 * ```ts
 * declare const hub: Parameters<typeof dashboardRoutes>[0]; // the manager's DashboardHub
 * const routes = dashboardRoutes(hub);
 * routes.matches('/ui/events'); // true
 * ```
 */
export function dashboardRoutes(hub: DashboardHub, assets = new DashboardAssets()): DashboardRoutes {
  const paths = [...Object.keys(ASSET_FILES), '/ui/events', '/ui/snapshot'];
  return {
    paths,
    matches: (pathname) => pathname === '/ui' || pathname.startsWith('/ui/'),
    async handle(req, res, url) {
      const path = url.pathname === '/ui/' || url.pathname === '/ui/index.html' ? '/ui' : url.pathname;
      if (path === '/ui/events') {
        if (req.method === 'HEAD') {
          // No body to stream: a stream opened for a HEAD would never send its headers and would
          // hold one of the hub's places until the client went away.
          res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
          res.end();
          return;
        }
        hub.connect(res);
        return;
      }
      if (path === '/ui/snapshot') {
        const body = JSON.stringify(hub.snapshot());
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'Content-Type': 'application/json',
          'Cache-Control': 'no-store',
          'Content-Length': Buffer.byteLength(body),
        });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      if (!(path in ASSET_FILES)) {
        const body = `not found: the dashboard serves ${paths.join(', ')}`;
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      const asset = await assets.get(path);
      if (asset === undefined) {
        const body =
          'the dashboard was not built: run `npm run build` (it bundles ui/ into dist/dashboard/), then reload';
        res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = gzip ? asset.gzip : asset.body;
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': asset.type,
        'Content-Length': body.length,
        'Cache-Control': 'no-cache',
        Vary: 'Accept-Encoding',
        ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  };
}
