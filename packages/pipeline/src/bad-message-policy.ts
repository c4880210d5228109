import { InvalidOptionError } from "@jetflow/core";
import { PARTITION_COUNT_KEY, PARTITION_TOKEN_KEY, partitionCountOption, partitionTokenOf } from "./partition-token.js";

/**
 * What happens to a message that does not decode.
 * - `skip`: count it and go on (the default).
 * - `fail`: stop the pipeline with an error naming the stream sequence and the reason.
 * - `dead_letter`: publish the raw payload to `subject` with headers `Jetflow-Error`, `Jetflow-Subject`,
 *   `Jetflow-Sequence`, `Jetflow-Relation`, count it and go on.
 */
export type BadMessagePolicy =
  | { readonly kind: "skip" }
  | { readonly kind: "fail" }
  | { readonly kind: "dead_letter"; readonly subject: string };

/** jetflow's own WITH keys, taken out before the connector validates the rest. */
export const PIPELINE_WITH_KEYS = ["bad_message.policy", "bad_message.dead_letter_subject"] as const;

/** WITH keys a group reads and one process validates and ignores (see `partition-token.ts`). */
export const GROUP_WITH_KEYS = [PARTITION_TOKEN_KEY, PARTITION_COUNT_KEY] as const;

/**
 * Splits a WITH map into the connector's keys and the bad-message policy; validates and leaves
 * out the group's keys ({@link GROUP_WITH_KEYS}).
 * @throws InvalidOptionError naming the key and the accepted values
 */
export function splitWithOptions(withOptions: Readonly<Record<string, string>>): {
  connector: Record<string, string>;
  policy: BadMessagePolicy;
} {
  const jetflowKeys: readonly string[] = [...PIPELINE_WITH_KEYS, ...GROUP_WITH_KEYS];
  const connector: Record<string, string> = {};
  for (const [k, v] of Object.entries(withOptions)) {
    if (!jetflowKeys.includes(k)) connector[k] = v;
  }
  partitionTokenOf(withOptions);
  partitionCountOption(withOptions);
  const kind = withOptions["bad_message.policy"] ?? "skip";
  const subject = withOptions["bad_message.dead_letter_subject"];
  switch (kind) {
    case "skip":
    case "fail":
      if (subject !== undefined) {
        throw new InvalidOptionError(
          "bad_message.dead_letter_subject",
          `bad_message.dead_letter_subject is only valid with bad_message.policy = 'dead_letter' (policy is '${kind}')`,
        );
      }
      return { connector, policy: { kind } };
    case "dead_letter":
      if (subject === undefined || subject.trim() === "") {
        throw new InvalidOptionError(
          "bad_message.dead_letter_subject",
          "bad_message.policy = 'dead_letter' needs bad_message.dead_letter_subject (the subject to publish bad messages to)",
        );
      }
      return { connector, policy: { kind, subject } };
    default:
      throw new InvalidOptionError(
        "bad_message.policy",
        `bad_message.policy must be one of skip, fail, dead_letter; got '${kind}'`,
      );
  }
}
