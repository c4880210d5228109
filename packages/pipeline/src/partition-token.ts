import { InvalidOptionError } from "@jetflow/core";

/**
 * The WITH key naming the subject token that holds the server's partition number, for a stream
 * that nats-server partitions itself (a subject transform or mapping with `{{partition(N, k...)}}`).
 *
 * One process reads every partition and ignores it (after validating it); a group (`planGroup`)
 * reads partition p's share in partition p's pipeline, with token K of `subject` replaced by `p`,
 * instead of routing every message through one reader.
 *
 * @example
 * ```sql
 * CREATE TABLE orders (id int, region varchar, PRIMARY KEY (id))
 *   WITH (connector = 'nats', subject = 'orders.*.*', group.partition_token = '2', ...)
 * ```
 */
export const PARTITION_TOKEN_KEY = "group.partition_token";

/**
 * The 1-based subject token index of {@link PARTITION_TOKEN_KEY}, or undefined when the WITH map
 * has none. Every subject of `subject` (a comma-separated list) must have a `*` at that token.
 * @throws InvalidOptionError naming `group.partition_token` when it is not a whole number >= 1 or a
 *   subject has no `*` at that token
 */
export function partitionTokenOf(withOptions: Readonly<Record<string, string>>): number | undefined {
  const k = positiveOption(
    withOptions,
    PARTITION_TOKEN_KEY,
    "the 1-based index of the subject token that holds the server's partition number",
  );
  if (k === undefined) return undefined;
  // A missing subject is the connector's error to report.
  for (const s of subjectsOf(withOptions)) {
    const token = s.split(".")[k - 1];
    if (token !== "*") {
      throw new InvalidOptionError(
        PARTITION_TOKEN_KEY,
        `${PARTITION_TOKEN_KEY} = '${k}' needs a '*' at token ${k} of subject '${s}' (where the server's partition number is), ` +
          `found ${token === undefined ? "no such token" : `'${token}'`}`,
      );
    }
  }
  return k;
}

/**
 * The WITH key giving the number of partitions the server splits the stream into, for a stream
 * partitioned by an account or server mapping (nats-server 2.9 has no stream transforms, and a
 * mapping cannot be read from the stream). Needs {@link PARTITION_TOKEN_KEY}; where the stream's
 * own transform names a count too, they must be equal.
 */
export const PARTITION_COUNT_KEY = "group.partition_count";

/**
 * The partition count {@link PARTITION_COUNT_KEY} declares, or undefined.
 * @throws InvalidOptionError naming it when it is not a whole number >= 1, or when
 *   {@link PARTITION_TOKEN_KEY} is missing
 */
export function partitionCountOption(withOptions: Readonly<Record<string, string>>): number | undefined {
  const n = positiveOption(withOptions, PARTITION_COUNT_KEY, "how many partitions the server splits the stream into");
  if (n === undefined) return undefined;
  if (withOptions[PARTITION_TOKEN_KEY] === undefined) {
    throw new InvalidOptionError(
      PARTITION_COUNT_KEY,
      `${PARTITION_COUNT_KEY} needs ${PARTITION_TOKEN_KEY} (the subject token that holds the partition number)`,
    );
  }
  return n;
}

/** The WITH keys naming a consumer: a partition's consumer gets its own name (`<name>_p<p>`). */
const CONSUMER_NAME_KEYS = ["consumer.durable_name", "consumer.name"] as const;

/**
 * The WITH map that reads partition `partition`'s share only: token `token` of every subject
 * replaced by the partition number, a named consumer's name suffixed `_p<partition>` (the
 * partitions' consumers filter on different subjects, so they cannot share one), and
 * {@link PARTITION_TOKEN_KEY} and {@link PARTITION_COUNT_KEY} dropped (that token is no wildcard
 * any more).
 */
export function partitionShareOptions(
  withOptions: Readonly<Record<string, string>>,
  token: number,
  partition: number,
): Record<string, string> {
  const { [PARTITION_TOKEN_KEY]: _, [PARTITION_COUNT_KEY]: __, ...rest } = withOptions;
  const out: Record<string, string> = { ...rest };
  out["subject"] = subjectsOf(withOptions)
    .map((s) =>
      s
        .split(".")
        .map((t, i) => (i === token - 1 ? String(partition) : t))
        .join("."),
    )
    .join(",");
  for (const key of CONSUMER_NAME_KEYS) {
    const name = withOptions[key];
    if (name !== undefined) out[key] = `${name}_p${partition}`;
  }
  return out;
}

/** The subjects of `subject` (a comma-separated list), trimmed. */
export function subjectsOf(withOptions: Readonly<Record<string, string>>): string[] {
  const raw = withOptions["subject"];
  return raw === undefined ? [] : raw.split(",").map((s) => s.trim());
}

/** The whole number >= 1 under `key`, or undefined; an InvalidOptionError naming it (and `what` it is) otherwise. */
function positiveOption(withOptions: Readonly<Record<string, string>>, key: string, what: string): number | undefined {
  const raw = withOptions[key];
  if (raw === undefined) return undefined;
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidOptionError(key, `${key} must be a whole number >= 1 (${what}), got '${raw}'`);
  }
  return n;
}
