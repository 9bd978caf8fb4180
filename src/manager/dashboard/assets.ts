/**
 * The dashboard page's files: bundled at build time (`npm run build`, `scripts/build-ui.mjs`,
 * from `ui/`) into `dist/dashboard/` and shipped in the package, so the page works offline and
 * loads nothing from elsewhere. They are read once, on the first request, and kept with their
 * gzip form. `dist/` sits at the same depth from this file whether kloop runs from `src/` (tsx)
 * or from `dist/`.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** Where the bundle is: `<package>/dist/dashboard/`. */
export const DASHBOARD_ASSETS_DIR = fileURLToPath(new URL('../../../dist/dashboard/', import.meta.url));

/** The files the page is made of, by URL path. */
export const ASSET_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/ui': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/** One file ready to send. */
export interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
}

/** Reads and keeps the page's files; `get` resolves undefined when the bundle was not built. */
export class DashboardAssets {
  readonly #dir: string;
  #loading: Promise<Map<string, Asset> | undefined> | undefined;

  constructor(dir = DASHBOARD_ASSETS_DIR) {
    this.#dir = dir;
  }

  /** The file served at `path`, or undefined (unknown path, or no bundle). */
  async get(path: string): Promise<Asset | undefined> {
    this.#loading ??= this.#load();
    const assets = await this.#loading;
    // A missing bundle is looked for again next time: a build may have run since.
    if (assets === undefined) this.#loading = undefined;
    return assets?.get(path);
  }

  async #load(): Promise<Map<string, Asset> | undefined> {
    const assets = new Map<string, Asset>();
    try {
      for (const [path, { file, type }] of Object.entries(ASSET_FILES)) {
        const body = await readFile(`${this.#dir}${file}`);
        assets.set(path, { type, body, gzip: gzipSync(body, { level: 9 }) });
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return assets;
  }
}
