// What the doc check extracts: every example a reader sees, so none escapes the compiler unseen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tsdocBlocks } from '../../scripts/doc-examples.js';

const source = (example: string[]) =>
  [
    '/**',
    ' * Does a thing.',
    ' *',
    ' * @example',
    ...example.map((l) => ` * ${l}`.trimEnd()),
    ' */',
    'export const a = 1;',
  ].join('\n');

test('an @example with two ts fences gives two blocks (the second was never compiled)', () => {
  const blocks = tsdocBlocks(source(['```ts', 'a + 1;', '```', 'or:', '```ts', 'a + 2;', '```']), 'x.ts');
  assert.deepEqual(
    blocks.map((b) => b.code),
    ['a + 1;', 'a + 2;'],
  );
});

test('an @example fenced in another language is listed as opted out, not dropped unseen', () => {
  const blocks = tsdocBlocks(source(['```js', 'a + 1;', '```']), 'x.ts');
  assert.equal(blocks.length, 1);
  assert.ok(blocks[0]!.flags.includes('nocompile'), JSON.stringify(blocks[0]!.flags));
});

test('an @example without a fence is compiled whole, as TSDoc renders it as code', () => {
  const blocks = tsdocBlocks(source(['a + 1;']), 'x.ts');
  assert.deepEqual(
    blocks.map((b) => [b.code.trim(), b.flags]),
    [['a + 1;', []]],
  );
});
