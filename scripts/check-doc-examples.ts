#!/usr/bin/env -S node --import tsx
/**
 * Type-checks every code block of the docs (see `doc-examples.ts` for which and the
 * conventions): each block becomes a module of a throw-away project in the system's temp folder
 * where `kloop` and its entry points (`kloop/apiserver`, `kloop/testing`, ...) resolve to this
 * repository's sources, compiled with the repository's own compiler options (strict). Errors
 * point at the doc file and line. Run by `npm test`; `KEEP_DOC_EXAMPLES=1` keeps the project.
 *
 * Usage: node --import tsx scripts/check-doc-examples.ts [path-substring ...]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { collectBlocks, type DocBlock, linkPackage } from './doc-examples.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The repository's compiler options, made fit for checking loose modules. */
function compilerOptions(): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  return {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    // A block imports types and values alike, as most users' projects allow.
    verbatimModuleSyntax: false,
    isolatedModules: false,
    typeRoots: [join(root, 'node_modules', '@types')],
  };
}

/** Names a block binds at its top level (imports and declarations). */
function boundNames(code: string): Set<string> {
  const names = new Set<string>();
  const sf = ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const bind = (name: ts.BindingName | undefined): void => {
    if (name === undefined) return;
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
  };
  for (const statement of sf.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) names.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      else if (bindings) for (const element of bindings.elements) names.add(element.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) bind(declaration.name);
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      names.add(statement.name.text);
    }
  }
  return names;
}

/** The exported names of each source module, read with the type checker. */
function exportsOf(program: ts.Program, files: readonly string[]): Map<string, string[]> {
  const checker = program.getTypeChecker();
  const out = new Map<string, string[]>();
  for (const file of files) {
    const sf = program.getSourceFile(join(root, file));
    const symbol = sf && checker.getSymbolAtLocation(sf);
    out.set(file, symbol ? checker.getExportsOfModule(symbol).map((s) => s.name) : []);
  }
  return out;
}

interface Written {
  block: DocBlock;
  path: string;
  /** Lines of the generated file before the block's first line. */
  offset: number;
}

function write(dir: string, index: number, block: DocBlock, exported: readonly string[]): Written {
  // Blocks of one document share a folder, so a named block (`// file: x.ts`) is importable by the others.
  const folder = join(dir, block.module === undefined ? block.file.replace(/[^\w]/g, '_') : 'src-examples');
  mkdirSync(folder, { recursive: true });
  const path = join(folder, block.fileName ?? `block-${String(index).padStart(3, '0')}.ts`);
  mkdirSync(dirname(path), { recursive: true });
  const head = [`// ${block.file}:${block.line}`];
  if (block.module !== undefined) {
    // The documented module's exports are in scope, as where the example is written.
    const bound = boundNames(`${block.prelude}\n${block.code}`);
    const used = exported.filter((name) => !bound.has(name) && new RegExp(`\\b${name}\\b`).test(block.code));
    if (used.length > 0) {
      const specifier = relative(folder, join(root, block.module)).replace(/\.ts$/, '.js');
      head.push(`import { ${used.join(', ')} } from '${specifier.startsWith('.') ? specifier : `./${specifier}`}';`);
    }
  }
  if (block.prelude !== '') head.push(block.prelude);
  const prefix = head.join('\n');
  const offset = prefix.split('\n').length;
  writeFileSync(path, `${prefix}\n${block.code}\nexport {};\n`);
  return { block, path, offset };
}

function main(): number {
  const filters = process.argv.slice(2);
  const all = collectBlocks(root).filter((b) => filters.length === 0 || filters.some((f) => b.file.includes(f)));
  const optedOut = all.filter((b) => b.flags.includes('nocompile'));
  const blocks = all.filter((b) => !b.flags.includes('nocompile'));
  const dir = mkdtempSync(join(tmpdir(), 'kloop-doc-examples-'));
  let keep = process.env.KEEP_DOC_EXAMPLES === '1';
  try {
    linkPackage(root, dir);
    const options = compilerOptions();
    const modules = [...new Set(blocks.flatMap((b) => (b.module === undefined ? [] : [b.module])))];
    const sources = ts.createProgram({ rootNames: modules.map((m) => join(root, m)), options });
    const exported = exportsOf(sources, modules);
    const written = blocks.map((b, i) =>
      write(dir, i, b, b.module === undefined ? [] : (exported.get(b.module) ?? [])),
    );
    const program = ts.createProgram({ rootNames: written.map((w) => w.path), options, oldProgram: sources });
    const errors: string[] = [];
    for (const w of written) {
      const sf = program.getSourceFile(w.path)!;
      const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
      for (const d of diagnostics) {
        const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
        const where =
          line < w.offset
            ? `${w.block.file}:${w.block.line} (prelude)`
            : `${w.block.file}:${w.block.line + line - w.offset}`;
        errors.push(`${where}: error TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n  ')}`);
      }
    }
    const markdown = blocks.filter((b) => b.module === undefined).length;
    for (const b of optedOut) console.log(`doc examples: ${b.file}:${b.line} opted out (nocompile)`);
    console.log(
      `doc examples: ${blocks.length} blocks type-checked (${markdown} in README.md and docs/, ` +
        `${blocks.length - markdown} @example in src/), ${optedOut.length} opted out`,
    );
    if (errors.length > 0) {
      console.error(errors.join('\n'));
      console.error(`doc examples: ${errors.length} errors`);
      keep = keep || process.env.CI === undefined;
      return 1;
    }
    return 0;
  } finally {
    if (keep) console.error(`doc examples: the generated project is in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

process.exit(main());
