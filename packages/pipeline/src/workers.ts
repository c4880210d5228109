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
  const fromEnv = env[WORKERS_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return wholeNumberOption(WORKERS_ENV, Number(fromEnv), 0, 0);
  return wholeNumberOption("workers", option, defaultWorkers(), 0);
}
