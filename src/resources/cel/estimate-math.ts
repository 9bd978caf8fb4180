/**
 * Saturating arithmetic of static cost estimates (Go: cel-go `checker.CostEstimate` and
 * `SizeEstimate` over uint64). Figures past 2^53 lose precision in a JS number; a figure that
 * large is refused as "more than 100x" the limit whatever its low digits.
 */

/** math.MaxUint64 as cel-go saturates to it. */
export const U64 = 2 ** 64;

/** A size range: characters of a string, bytes, list items or map entries. */
export interface SizeRange {
  readonly min: number;
  readonly max: number;
}

/** The size of a value nothing bounds. */
export const UNKNOWN_SIZE: SizeRange = { min: 0, max: U64 };

export function addCost(a: number, b: number): number {
  return Math.min(a + b, U64);
}

export function mulCost(a: number, b: number): number {
  return Math.min(a * b, U64);
}

/** `x * factor`, rounded up (cel-go `multiplyByCostFactor`). */
export function factorCost(x: number, factor: number): number {
  return Math.min(Math.ceil(x * factor), U64);
}

/** Both ends of a size range times a factor, rounded up. */
export function factorSize(size: SizeRange, factor: number): SizeRange {
  return { min: factorCost(size.min, factor), max: factorCost(size.max, factor) };
}
