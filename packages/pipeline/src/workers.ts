import { availableParallelism } from "node:os";
import { wholeNumberOption } from "@jetflow/core";

/** The environment variable that overrides every `workers` option (to run a whole suite threaded). */
export const WORKERS_ENV = "JETFLOW_WORKERS";

/**
 * Reader threads unless told otherwise: one core is the pipeline's, the others read; at least one,
 * so NATS I/O and parsing are off the pipeline's thread. On 2 cores shared with nats-server a
 * reader thread measured as fast as none (within noise, a 5M backlog drained ~7% faster) for ~1 µs
 * more CPU and ~50 MiB more memory; with the server elsewhere or more cores it frees the pipeline's
 * thread (benchmarks' profile notes, "Reader threads" and "Keyed joins, top-N updates in place, a
 * reader thread by default"). `--workers 0` reads on the pipeline's thread.
 */
export function defaultWorkers(cores: number = availableParallelism()): number {
  return Math.max(1, cores - 1);
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
