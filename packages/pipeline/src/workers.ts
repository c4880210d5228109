import { availableParallelism } from "node:os";
import { wholeNumberOption } from "@jetflow/core";

/** The environment variable that overrides every `workers` option (to run a whole suite threaded). */
export const WORKERS_ENV = "JETFLOW_WORKERS";

/**
 * Reader threads unless told otherwise: one core is the pipeline's; the others may read. On
 * fewer than 4 cores none: nats-server (usually on the same machine) needs most of a core, and on
 * 2 cores a reader thread measured no faster and ~17% more CPU per message (benchmarks'
 * profile notes, "Reader threads").
 */
export function defaultWorkers(cores: number = availableParallelism()): number {
  return cores >= 4 ? cores - 1 : 0;
}

/**
 * `JETFLOW_WORKERS` if set, else `option`, else {@link defaultWorkers}; a
 * value that is not a whole number >= 0 is an `InvalidOptionError` naming where it came from.
 *
 * @example
 * ```ts
 * resolveWorkers(1, {}); // 1
 * resolveWorkers(undefined, { JETFLOW_WORKERS: "2" }); // 2
 * ```
 */
export function resolveWorkers(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  return threadCount("workers", WORKERS_ENV, option, defaultWorkers(), env);
}

/** The environment variable that overrides every `shards` option. */
export const SHARDS_ENV = "JETFLOW_SHARDS";

/**
 * `JETFLOW_SHARDS` if set, else `option`, else 0: keyed operators run in operator threads only
 * when asked (on 2 cores shared with nats-server they measured slower; see the pipeline README,
 * "Operator threads").
 *
 * @example
 * ```ts
 * resolveShards(undefined, { JETFLOW_SHARDS: "2" }); // 2
 * ```
 */
export function resolveShards(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  return threadCount("shards", SHARDS_ENV, option, 0, env);
}

function threadCount(
  name: string,
  envName: string,
  option: number | undefined,
  fallback: number,
  env: NodeJS.ProcessEnv,
): number {
  const fromEnv = env[envName];
  if (fromEnv !== undefined && fromEnv !== "") return wholeNumberOption(envName, Number(fromEnv), 0, 0);
  return wholeNumberOption(name, option, fallback, 0);
}
