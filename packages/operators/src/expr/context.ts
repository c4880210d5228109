import type { Col } from "../columnar/col.js";

/**
 * Counts of rows whose value became NULL instead of failing the stream, the way RisingWave
 * turns evaluation errors into NULL with a warning. Operators expose these for metrics.
 */
export interface EvalWarnings {
  /** `x / 0`, `x % 0`. */
  divisionByZero: number;
  /** Results outside the type's range (integer overflow, timestamps out of range). */
  overflow: number;
  /** Text that does not parse as the target type of a CAST, and other invalid arguments. */
  invalidInput: number;
}

export function newWarnings(): EvalWarnings {
  return { divisionByZero: 0, overflow: 0, invalidInput: 0 };
}

/**
 * The warnings of several operators (or shards of one) added up; undefined ones count nothing.
 * @example sumWarnings([a.warnings, b.warnings]).divisionByZero
 */
export function sumWarnings(all: Iterable<EvalWarnings | undefined>): EvalWarnings {
  const total = newWarnings();
  for (const w of all) {
    if (w === undefined) continue;
    total.divisionByZero += w.divisionByZero;
    total.overflow += w.overflow;
    total.invalidInput += w.invalidInput;
  }
  return total;
}

/** What an expression node evaluates against: one input batch, column by column. */
export interface EvalContext {
  readonly n: number;
  readonly warnings: EvalWarnings;
  /** Input column `index` as a {@link Col}, converted at most once per batch. */
  input(index: number): Col;
  /** `now()`: the microseconds at which this batch is evaluated. */
  readonly nowUs: bigint;
}
