/**
 * The emulator's folders form layers: no two folders of `src/apiserver/` import each other, even
 * through types only, and no folder imports the files at the root that assemble them (`server.ts`,
 * `start.ts`, the doors), only the public `types.ts`. A cycle here is how `cluster.ts` and its
 * reactions once came to import each other.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { sourceFiles } from '../support/files.js';
import { moduleSpecifiers } from '../support/imports.js';

const ROOT = resolve('src/apiserver');

/** Relative specifiers of every import, re-export and `import()` (types included). */
function relativeImports(text: string): string[] {
  return moduleSpecifiers(text).filter((spec) => spec.startsWith('.'));
}

/** The folder of a file under `src/apiserver/`, or `/name.ts` for a file at its root. */
function unitOf(file: string): string {
  const parts = relative(ROOT, file).split(sep);
  return parts.length === 1 ? `/${parts[0]}` : parts[0];
}

/** Edges `from -> to` between folders (and root files) of the emulator. */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(ROOT)) {
    const from = unitOf(file);
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      if (relative(ROOT, target).startsWith('..')) continue;
      const to = unitOf(target);
      if (to === from) continue;
      let set = graph.get(from);
      if (!set) graph.set(from, (set = new Set()));
      set.add(to);
    }
  }
  return graph;
}

/** One cycle of `graph` as a path `a -> b -> ... -> a`, or undefined when there is none. */
function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    if (state.get(node) === 'done') return undefined;
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('apiserver layout', () => {
  it('has no import cycle between its folders, types included', () => {
    const cycle = findCycle(folderGraph());
    assert.equal(cycle, undefined, `import cycle: ${cycle?.join(' -> ')}`);
  });

  it('lets folders import only the public types.ts from the root', () => {
    const reaching: string[] = [];
    for (const [from, targets] of folderGraph()) {
      if (from.startsWith('/')) continue;
      for (const to of targets) if (to.startsWith('/') && to !== '/types.ts') reaching.push(`${from} -> ${to}`);
    }
    assert.deepEqual(reaching, []);
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    assert.deepEqual(findCycle(graph), ['a', 'b', 'c', 'a']);
    assert.equal(findCycle(new Map([['a', new Set(['b'])]])), undefined);
  });
});
