// The TypeScript blocks of docs/connecting.md type-check against the public API (`kloop`),
// each as its own module, so the page cannot drift from the code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const DOC = 'docs/connecting.md';

function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

test('the TypeScript blocks of docs/connecting.md compile', () => {
  const blocks = codeBlocks(readFileSync(DOC, 'utf8'));
  assert.ok(blocks.length >= 4, `found ${blocks.length} blocks`);
  // Virtual files inside the package, so `kloop` resolves to the package itself.
  const files = new Map(
    blocks.map((code, i) => [resolve(join('docs', `__connecting_block_${i}.ts`)), `${code}\nexport {};\n`]),
  );
  const configFile = ts.readConfigFile('tsconfig.json', ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, process.cwd());
  const options = { ...parsed.options, noEmit: true, noUnusedLocals: false };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => files.get(resolve(name)) ?? readFile(name);
  host.fileExists = (name) => files.has(resolve(name)) || fileExists(name);
  host.getSourceFile = (name, language, onError, fresh) => {
    const text = files.get(resolve(name));
    return text !== undefined
      ? ts.createSourceFile(name, text, language)
      : getSourceFile(name, language, onError, fresh);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const diagnostics = [...files.keys()].flatMap((name) => {
    const source = program.getSourceFile(name);
    return source ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)] : [];
  });
  const messages = diagnostics.map(
    (d) =>
      `${d.file?.fileName.replace(/.*__connecting_block_/, 'block ')}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
  );
  assert.deepEqual(messages, []);
});
