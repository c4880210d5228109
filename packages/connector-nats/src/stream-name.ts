/** The longest stream name the rules allow: the store path also holds the account and consumer names. */
export const MAX_STREAM_NAME_LENGTH = 32;

// Windows device names: a directory with one of these names cannot be created there.
const RESERVED = new Set([
  "CON",
  "PRN",
  "AUX",
  "NUL",
  ...Array.from({ length: 9 }, (_, i) => `COM${i + 1}`),
  ...Array.from({ length: 9 }, (_, i) => `LPT${i + 1}`),
]);

/**
 * Checks a stream name against the NATS naming rules quoted in the RisingWave NATS source docs
 * and returns every rule it breaks, each as a sentence naming the rule (empty: the name is fine).
 * Letters, digits, `-` and `_` are accepted ("alphanumeric" in NATS's sense; `-`/`_` are safe in
 * subjects and file names).
 *
 * @example
 * ```ts
 * streamNameViolations("a.b"); // ["must not contain periods (.)"]
 * ```
 */
export function streamNameViolations(name: string): string[] {
  const out: string[] = [];
  if (name.length === 0) return ["must not be empty"];
  if (name.includes(" ")) out.push("must not contain spaces");
  if (name.includes("\t")) out.push("must not contain tabs");
  if (name.includes(".")) out.push("must not contain periods (.)");
  if (name.includes(">")) out.push("must not contain greater than (>)");
  if (name.includes("*")) out.push("must not contain asterisks (*)");
  if (name.includes("/") || name.includes("\\")) out.push("must not contain path separators (/ or \\)");
  const other = [...new Set(name.replace(/[A-Za-z0-9_\-. \t>*/\\]/g, ""))];
  if (other.length > 0) {
    const shown = other.map((c) => JSON.stringify(c)).join(", ");
    out.push(`must use alphanumeric values (letters, digits, '-' and '_'), not ${shown}`);
  }
  if (name.length > MAX_STREAM_NAME_LENGTH) {
    out.push(`must be at most ${MAX_STREAM_NAME_LENGTH} characters long (it has ${name.length})`);
  }
  if (RESERVED.has(name.toUpperCase())) out.push(`must not be a reserved file name like NUL or LPT1`);
  return out;
}

/**
 * Checks a consumer name (durable or named ephemeral): the server stores it as a directory and
 * puts it in API subjects, so it follows the same character rules as a stream name, without the
 * 32-character stream limit.
 */
export function consumerNameViolations(name: string): string[] {
  return streamNameViolations(name).filter((v) => !v.startsWith("must be at most"));
}
