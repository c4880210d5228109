import { choiceOption } from "@jetflow/core/base";

/**
 * How a source reads deliveries from JetStream:
 * - `lean`: its own pull requests on a core subscription of its inbox; sequence, delivery count,
 *   timestamp and pending read straight from the `$JS.ACK` reply bytes (see `LeanPull`)
 * - `consumer`: nats.js's consumer API (`consume()`, a `JsMsg` per delivery), the fallback
 *
 * Both give the same batches, offsets and acks (the `connector-nats-consumer` test project runs
 * the connector's reading suites on the consumer path).
 */
export type ReadPath = "lean" | "consumer";

export const READ_PATHS: readonly ReadPath[] = ["lean", "consumer"];

/** The read path unless `readPath` or `JETFLOW_READ_PATH` says otherwise. */
export const DEFAULT_READ_PATH: ReadPath = "lean";

/** The environment variable that overrides every `readPath` option (to run a whole suite on one path). */
export const READ_PATH_ENV = "JETFLOW_READ_PATH";

/**
 * `JETFLOW_READ_PATH` if set, else `option`, else {@link DEFAULT_READ_PATH}; an unknown value is
 * an `InvalidOptionError` naming where it came from and the accepted values.
 *
 * @example
 * ```ts
 * resolveReadPath("consumer", {}); // "consumer"
 * resolveReadPath(undefined, { JETFLOW_READ_PATH: "consumer" }); // "consumer"
 * ```
 */
export function resolveReadPath(option: string | undefined, env: NodeJS.ProcessEnv = process.env): ReadPath {
  const fromEnv = env[READ_PATH_ENV];
  if (fromEnv !== undefined && fromEnv !== "")
    return choiceOption(READ_PATH_ENV, fromEnv, READ_PATHS, DEFAULT_READ_PATH);
  return choiceOption("readPath", option, READ_PATHS, DEFAULT_READ_PATH);
}
