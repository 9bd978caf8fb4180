/**
 * YAML alias bombs (CVE-2019-11253): a few hundred bytes of nested anchors and aliases expand to
 * gigabytes. go-yaml v2 (which `sigs.k8s.io/yaml` uses for every YAML body of the API server)
 * counts its decode operations and those made inside alias expansions, and fails with
 * `yaml: document contains excessive aliasing` once more than 100 aliased operations out of more
 * than 1000 exceed the allowed share: 99% up to 400,000 operations, sliding to 10% at 4,000,000
 * (`decode.go` `allowedAliasRatio`).
 *
 * js-yaml (the emulator's reader) does not expand aliases: every alias is the same object as its
 * anchor. So the walk below counts what go-yaml would decode by visiting the value as if expanded
 * (a second visit of an object is an alias expansion) and stops the moment go-yaml would have,
 * so a bomb costs a few thousand steps, never its expansion. A value that passes may still share
 * objects between its aliases; {@link unshareAliases} gives it private copies before anything
 * mutates it.
 */

const RATIO_RANGE_LOW = 400_000;
const RATIO_RANGE_HIGH = 4_000_000;

/** The share of decode operations that may come from alias expansion (go-yaml `allowedAliasRatio`). */
export function allowedAliasRatio(decodeCount: number): number {
  if (decodeCount <= RATIO_RANGE_LOW) return 0.99;
  if (decodeCount >= RATIO_RANGE_HIGH) return 0.1;
  return 0.99 - (0.89 * (decodeCount - RATIO_RANGE_LOW)) / (RATIO_RANGE_HIGH - RATIO_RANGE_LOW);
}

/** go-yaml's text, which the API server passes on. */
export const EXCESSIVE_ALIASING = 'yaml: document contains excessive aliasing';

/** Thrown by {@link checkYamlAliases}: the document expands as an alias bomb does. */
export class ExcessiveAliasingError extends Error {
  constructor() {
    super(EXCESSIVE_ALIASING);
  }
}

/**
 * Counts the decode operations go-yaml would make for `value` (as js-yaml read it, aliases shared)
 * and throws {@link ExcessiveAliasingError} where go-yaml refuses. Returns whether any object is
 * shared (an alias of a collection), so the caller knows to {@link unshareAliases}.
 *
 * @example
 * ```ts
 * const a = ['x', 'x', 'x'];
 * checkYamlAliases({ a, b: [a, a] }); // true: `a` is shared, well within go-yaml's limits
 * ```
 */
export function checkYamlAliases(value: unknown): boolean {
  // The document node is one operation.
  let decodeCount = 1;
  let aliasCount = 0;
  let shared = false;
  const seen = new Set<object>();
  const count = (aliased: boolean): void => {
    decodeCount++;
    if (aliased) aliasCount++;
    if (aliasCount > 100 && decodeCount > 1000 && aliasCount / decodeCount > allowedAliasRatio(decodeCount)) {
      throw new ExcessiveAliasingError();
    }
  };
  const stack: Array<[unknown, boolean]> = [[value, false]];
  while (stack.length > 0) {
    const [v, inAlias] = stack.pop() as [unknown, boolean];
    let aliased = inAlias;
    if (typeof v === 'object' && v !== null) {
      if (!seen.has(v)) seen.add(v);
      else if (!inAlias) {
        // A second visit is an alias: the alias node, then its target decoded again. (Inside an
        // expansion every object is a second visit; only its entry counts as the alias.)
        shared = true;
        count(false);
        aliased = true;
      }
    }
    count(aliased);
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], aliased]);
    } else if (typeof v === 'object' && v !== null) {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        // Each mapping key is a node go-yaml decodes too.
        count(aliased);
        stack.push([entries[i][1], aliased]);
      }
    }
  }
  return shared;
}

/** `value` with every alias its own copy, so a write through one cannot show through another. */
export function unshareAliases<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
