#!/usr/bin/env node
// Bundles the dashboard page (ui/) into dist/dashboard/: app.js (Preact, uPlot and the views,
// minified), app.css and index.html. Run by `npm run build` and `prepare`, so `npm ci` ships it.
// esbuild is a devDependency: the bundle, not the bundler, is in the package.
// Usage: node scripts/build-ui.mjs [outdir]
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The page-weight budget: JavaScript and CSS of the page, gzipped, in bytes. The dashboard test
 * builds the page and fails past it.
 */
export const PAGE_WEIGHT_BUDGET = 60 * 1024;

/** Builds the page into `outdir`; resolves with each file's raw and gzipped size. */
export async function buildDashboard(outdir = join(root, 'dist', 'dashboard')) {
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: { app: join(root, 'ui', 'src', 'main.tsx') },
    outdir,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    sourcemap: false,
    logLevel: 'warning',
    tsconfig: join(root, 'ui', 'tsconfig.json'),
  });
  await copyFile(join(root, 'ui', 'index.html'), join(outdir, 'index.html'));
  const sizes = {};
  for (const file of ['index.html', 'app.js', 'app.css']) {
    const body = await readFile(join(outdir, file));
    sizes[file] = { bytes: body.length, gzip: gzipSync(body, { level: 9 }).length };
  }
  return sizes;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const sizes = await buildDashboard(process.argv[2] ? resolve(process.argv[2]) : undefined);
  const weight = sizes['app.js'].gzip + sizes['app.css'].gzip;
  for (const [file, s] of Object.entries(sizes)) console.log(`dist/dashboard/${file}: ${s.bytes} B, ${s.gzip} B gzip`);
  console.log(`page weight (JS + CSS, gzip): ${weight} B of a ${PAGE_WEIGHT_BUDGET} B budget`);
  if (weight > PAGE_WEIGHT_BUDGET) {
    console.error('over the page-weight budget');
    process.exit(1);
  }
}
