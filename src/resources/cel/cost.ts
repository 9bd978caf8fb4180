/**
 * The runtime cost of CEL evaluation: one unit per evaluated expression node, plus, after cel-go's
 * cost model, a tenth of a unit per element of each string, bytes or list value a node yields
 * (whatever reads it next, `contains`, `==`, `in`, `join`, does work in proportion). Without the
 * size term a handful of nodes could build a string of gigabytes (`self.s.replace('a',
 * 'aaaaaaaa')` chained a dozen times) and take the process down, or a comprehension could scan a
 * megabyte string once per item for minutes, before the per-call limit was reached. The figures
 * are not cel-go's to the unit: a rule near the limit may stop here and not there, or the reverse.
 *
 * The meter of the evaluation in progress is module state: evaluation is synchronous, so one is
 * active at a time, and library functions reach it without threading it through cel-js.
 */

/** A rule whose evaluation ran over the per-call cost limit. */
export class CelCostLimitError extends Error {
  override readonly name = 'CelCostLimitError';
  constructor() {
    super('operation cancelled: actual cost limit exceeded');
  }
}

/** Cost spent by evaluations, checked against a limit. */
export class CostMeter {
  used = 0;
  constructor(readonly limit: number) {}

  /** Adds `units`, throwing once the total is over the limit. */
  spend(units: number): void {
    this.used += units;
    if (this.used > this.limit) throw new CelCostLimitError();
  }
}

let active: CostMeter | undefined;

/** Runs `evaluate` with `meter` as the active meter. */
export function withMeter<T>(meter: CostMeter, evaluate: () => T): T {
  const previous = active;
  active = meter;
  try {
    return evaluate();
  } finally {
    active = previous;
  }
}

/** The cost of a string (or list) of `length` elements built by a call: a tenth of a unit each. */
export function sizeCost(length: number): number {
  return Math.ceil(length * 0.1);
}

/**
 * Charges the active meter for a value of `length` elements about to be built, so a call refuses
 * to allocate what the limit would not pay for.
 */
export function chargeBuiltSize(length: number): void {
  active?.spend(sizeCost(length));
}

/** Charges the active meter `units` (a library call's own cost). */
export function chargeUnits(units: number): void {
  active?.spend(units);
}
