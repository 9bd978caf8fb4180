// The dashboard ships prebuilt and costs a production install nothing: Preact, uPlot, esbuild and
// playwright-core are development dependencies, nothing under src/ imports a package that is not a
// production dependency (or a Node built-in), and the packed package carries the bundle
// (dist/dashboard, built by `prepare`, so `npm ci` and `npm pack` make it).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import ts from 'typescript';
import { ASSET_FILES, DASHBOARD_ASSETS_DIR } from '../../src/manager/dashboard/assets.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

const UI_TOOLS = ['preact', 'uplot', 'esbuild', 'playwright-core'];

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** `preact/hooks` -> `preact`, `@scope/name/x` -> `@scope/name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

test('the page and its tools are development dependencies; the build bundles the page', () => {
  for (const name of UI_TOOLS) {
    assert.ok(pkg.devDependencies[name], `${name} is a devDependency`);
    assert.equal(pkg.dependencies[name], undefined, `${name} is not a production dependency`);
  }
  // `npm ci` runs prepare, which is the build; the build bundles the page.
  assert.match(pkg.scripts.prepare!, /scripts\/build-ui\.mjs|npm run build/);
  assert.match(pkg.scripts.build!, /scripts\/build-ui\.mjs/);
});

test('src/ imports only production dependencies and Node built-ins', () => {
  const allowed = new Set(Object.keys(pkg.dependencies));
  const builtins = new Set(builtinModules);
  const strays: string[] = [];
  for (const file of sourceFiles('src')) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
    const specifiers: string[] = [];
    const visit = (node: ts.Node): void => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
        // Type-only imports vanish from the JavaScript: a @types package or kubernetes-types is fine there.
        const typeOnly = ts.isImportDeclaration(node) ? node.importClause?.isTypeOnly : node.isTypeOnly;
        if (!typeOnly && ts.isStringLiteral(node.moduleSpecifier)) specifiers.push(node.moduleSpecifier.text);
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] !== undefined &&
        ts.isStringLiteral(node.arguments[0])
      ) {
        specifiers.push(node.arguments[0].text);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    for (const s of specifiers) {
      if (s.startsWith('.') || s.startsWith('node:')) continue;
      const name = packageOf(s);
      if (!allowed.has(name) && !builtins.has(name)) strays.push(`${file}: ${s}`);
    }
  }
  assert.deepEqual(strays, []);
});

test('the packed package carries the prebuilt page where the manager looks for it', async () => {
  for (const { file } of Object.values(ASSET_FILES)) {
    assert.ok(existsSync(join(DASHBOARD_ASSETS_DIR, file)), `${file} built (npm ci runs prepare; else npm run build)`);
  }
  // --ignore-scripts: list what the package would hold now, without building again.
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
  const files = new Set(packed!.files.map((f) => f.path));
  for (const { file } of Object.values(ASSET_FILES)) assert.ok(files.has(`dist/dashboard/${file}`), file);
  assert.ok(files.has('dist/manager/dashboard/assets.js'));
  // Nothing of the page's sources or tools: the bundle is what ships.
  assert.deepEqual(
    [...files].filter((f) => f.startsWith('ui/') || f.startsWith('node_modules/')),
    [],
  );
});
