import { InvalidOptionError } from "./errors.js";

/**
 * The one validator of options that take one of a few words: `value` when it is one of
 * `accepted`, `fallback` when it is undefined, else an {@link InvalidOptionError} naming the
 * option (or environment variable) and the accepted values.
 *
 * @example
 * ```ts
 * const readPath = choiceOption("readPath", options.readPath, ["lean", "consumer"], "lean");
 * ```
 */
export function choiceOption<T extends string>(
  option: string,
  value: string | undefined,
  accepted: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(accepted as readonly string[]).includes(value)) {
    throw new InvalidOptionError(option, `${option} must be one of ${accepted.join(", ")}, got '${value}'`);
  }
  return value as T;
}
