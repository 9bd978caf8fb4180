/**
 * Flags of the benchmarks, read with Node's `util.parseArgs`: numeric flags are checked, and an
 * unknown or misspelt flag is an error instead of a silently ignored default.
 */
import { parseArgs } from 'node:util';

/**
 * `numbers` maps each numeric flag to its default; `strings` names the text flags (undefined when
 * absent).
 *
 * @example
 * ```ts
 * const o = benchArgs(args, { pods: 10_000 }, ['json']); // --pods 500 --json out.json
 * ```
 */
export function benchArgs<N extends string, S extends string = never>(
  args: readonly string[],
  numbers: Readonly<Record<N, number>>,
  strings: readonly S[] = [],
): Record<N, number> & Partial<Record<S, string>> {
  const names = [...Object.keys(numbers), ...strings];
  const { values } = parseArgs({
    args: [...args],
    options: Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
    strict: true,
    allowPositionals: false,
  });
  const out: Record<string, number | string | undefined> = {};
  for (const [name, fallback] of Object.entries(numbers) as Array<[string, number]>) {
    const text = values[name] as string | undefined;
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(value)) throw new Error(`--${name} takes a number, not "${text}"`);
    out[name] = value;
  }
  for (const name of strings) out[name] = values[name] as string | undefined;
  return out as Record<N, number> & Partial<Record<S, string>>;
}
