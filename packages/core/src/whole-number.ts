import { InvalidOptionError } from "./errors.js";

/**
 * The one validator of whole-number options: `value` when it is a safe integer of at least
 * `min`, `fallback` when it is undefined, else an {@link InvalidOptionError} naming the option.
 *
 * @example
 * ```ts
 * const lingerMs = wholeNumberOption("lingerMs", options.lingerMs, DEFAULT_LINGER_MS, 0);
 * ```
 */
export function wholeNumberOption(option: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(option, `${option} must be a whole number of at least ${min}, got ${value}`);
  }
  return value;
}
