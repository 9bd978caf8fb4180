/**
 * The code blocks of the docs, found where readers meet them: every ```ts block of README.md and
 * docs/**\/*.md, and every `@example` of the TSDoc in src/**\/*.ts. `check-doc-examples.ts`
 * type-checks them all; `test/docs/readme.test.ts` runs the README's controller.
 *
 * Conventions:
 * - A block is a module of its own: it imports what it uses from `kloop`, `kloop/apiserver`,
 *   `kloop/collections`, `kloop/statedb` or `kloop/testing` (the package's own entry points, resolved to the
 *   sources), with top-level await allowed.
 * - A markdown block that is a fragment (a few lines from inside a reconcile, say) gets its
 *   context from a hidden prelude: an HTML comment right above the fence,
 *   `<!-- prelude: ... -->`, whose lines are compiled before the block and never rendered.
 * - An `@example` sees the names its own file exports, as the item it documents is in scope
 *   where it is written; everything else it imports. Context it needs but does not show is
 *   declared in the example (`declare const signal: AbortSignal;`).
 * - A markdown block whose first line is `// file: name.ts` is that file of the example: it is
 *   written under that name, beside the other blocks of its document, so a later block can
 *   import it (`import { Memcached } from './name.js'`), as the files of a project do.
 * - ```ts nocompile opts a block out. It is for what is not a program (an API summary); the
 *   check lists every such block, so each stays visible and justified.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One code block of the docs. */
export interface DocBlock {
  /** Path relative to the repository root. */
  file: string;
  /** 1-based line, in `file`, of the block's first code line. */
  line: number;
  /** Words after the language on the fence line (`nocompile`, ...). */
  flags: string[];
  code: string;
  /** Hidden lines compiled before `code` (markdown preludes). */
  prelude: string;
  /** For `@example` blocks: the file whose exports are in scope. */
  module?: string;
  /** For markdown blocks that start with `// file: name.ts`: the file name the block is. */
  fileName?: string;
}

// A name, or a path in folders (`src/api/demo.ts`); no segment starts with a dot.
const FILE_LINE = /^\/\/ file: ((?:[\w-][\w.-]*\/)*[\w-][\w.-]*\.ts)\s*$/;

const FENCE = /^(\s*)```(\w*)(.*)$/;
const TS_LANGS = new Set(['ts', 'typescript']);

/** The ```ts blocks of a markdown text, with their hidden preludes. */
export function markdownBlocks(text: string, file: string): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent, lang, rest] = open;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    if (TS_LANGS.has(lang!)) {
      const body = lines
        .slice(i + 1, end)
        .map((l) => (l.startsWith(indent!) ? l.slice(indent!.length) : l.trimStart()));
      const named = FILE_LINE.exec(body[0] ?? '');
      blocks.push({
        file,
        line: i + 2,
        flags: rest!.trim().split(/\s+/).filter(Boolean),
        code: body.join('\n'),
        prelude: preludeAbove(lines, i),
        ...(named ? { fileName: named[1]! } : {}),
      });
    }
    i = end;
  }
  return blocks;
}

/** The `<!-- prelude: ... -->` comment ending on the line right above the fence at `fence`. */
function preludeAbove(lines: string[], fence: number): string {
  const above = fence - 1;
  if (above < 0 || !lines[above]!.trim().endsWith('-->')) return '';
  let start = above;
  while (start >= 0 && !lines[start]!.includes('<!--')) start--;
  if (start < 0) return '';
  const comment = lines.slice(start, above + 1).join('\n');
  const match = /<!--\s*prelude:?([\s\S]*?)-->/.exec(comment);
  return match ? match[1]!.trim() : '';
}

/**
 * The `@example` blocks of a TypeScript source: every fenced block of each example (a fence in
 * another language than TypeScript comes out opted out, `nocompile`, so the check lists it), or,
 * when the example has no fence, its whole body (TSDoc renders such a body as code).
 */
export function tsdocBlocks(text: string, file: string): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  let inComment = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!inComment) {
      if (/^\s*\/\*\*/.test(line) && !line.includes('*/')) inComment = true;
      continue;
    }
    if (line.includes('*/')) {
      inComment = false;
      continue;
    }
    if (!/^\s*\*\s*@example\b/.test(line)) continue;
    // The example runs to the next tag or the end of the comment.
    const body: Array<{ text: string; line: number }> = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.includes('*/'); j++) {
      const content = lines[j]!.replace(/^\s*\* ?/, '');
      if (/^@\w+/.test(content)) break;
      body.push({ text: content, line: j + 1 });
    }
    const fences: DocBlock[] = [];
    for (let at = 0; at < body.length; at++) {
      const open = FENCE.exec(body[at]!.text);
      if (!open) continue;
      const [, , lang, rest] = open;
      let close = at + 1;
      while (close < body.length && !/^\s*```\s*$/.test(body[close]!.text)) close++;
      const flags = rest!.trim().split(/\s+/).filter(Boolean);
      // Another language is listed with the opted-out blocks rather than dropped unseen.
      if (!TS_LANGS.has(lang!) && lang !== '') flags.push('nocompile', `lang=${lang}`);
      fences.push({
        file,
        line: body[at]!.line + 1,
        flags,
        code: body
          .slice(at + 1, close)
          .map((b) => b.text)
          .join('\n'),
        prelude: '',
        module: file,
      });
      at = close;
    }
    if (fences.length > 0) {
      blocks.push(...fences);
    } else {
      const code = body.filter((b) => b.text.trim() !== '');
      if (code.length > 0)
        blocks.push({
          file,
          line: code[0]!.line,
          flags: [],
          code: body.map((b) => b.text).join('\n'),
          prelude: '',
          module: file,
        });
    }
    i = j - 1;
  }
  return blocks;
}

function walk(dir: string, keep: (path: string) => boolean, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, keep, out);
    else if (keep(path)) out.push(path);
  }
  return out;
}

/** Every doc block of the repository at `root`, markdown first, in file order. */
export function collectBlocks(root: string): DocBlock[] {
  const markdown = [join(root, 'README.md'), ...walk(join(root, 'docs'), (p) => p.endsWith('.md')).sort()];
  const sources = walk(join(root, 'src'), (p) => p.endsWith('.ts') && !p.endsWith('.test.ts')).sort();
  return [
    ...markdown.flatMap((p) => markdownBlocks(readFileSync(p, 'utf8'), relative(root, p))),
    ...sources.flatMap((p) => tsdocBlocks(readFileSync(p, 'utf8'), relative(root, p))),
  ];
}

/**
 * Makes `dir` a place where `import ... from 'kloop'` (and `kloop/apiserver`, ...) resolves to
 * the package at `root`, as in a user's project: `node_modules/kloop` links to the repository
 * (its `exports` name the sources under the `kloop-source` condition) and the repository's own
 * dependencies are linked beside it.
 */
export function linkPackage(root: string, dir: string): void {
  const modules = join(dir, 'node_modules');
  mkdirSync(modules, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'kloop-doc-examples', type: 'module' }));
  symlinkSync(root, join(modules, 'kloop'), 'dir');
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry.startsWith('.') || entry === 'kloop') continue;
    const target = join(root, 'node_modules', entry);
    if (lstatSync(target).isDirectory() || lstatSync(target).isSymbolicLink())
      symlinkSync(target, join(modules, entry), 'dir');
  }
}
