import { InvalidOptionError } from "@jetflow/core";
import type { SqlFrontend } from "./spec.js";

/** Where checkpoints go. */
export type StateOption =
  | { readonly kind: "memory" }
  | { readonly kind: "filesystem"; readonly dir: string; readonly keep?: number }
  | { readonly kind: "nats"; readonly bucket: string; readonly servers?: readonly string[] };

/**
 * Options of {@link pipeline}.
 *
 * @example
 * ```ts
 * const p = pipeline({ state: { kind: "filesystem", dir: "./state" }, checkpointIntervalMs: 500 });
 * ```
 */
export interface PipelineOptions {
  /**
   * Checkpoint backend. With `memory` nothing survives a restart and every source starts over
   * from its `scan.startup.mode`.
   * @default { kind: "memory" }
   */
  readonly state?: StateOption;
  /** Milliseconds between checkpoints (0 disables the timer; `checkpoint()` still works). @default 1000 */
  readonly checkpointIntervalMs?: number;
  /** Replaces every source's `server_url` (the CLI's `--server`). */
  readonly servers?: readonly string[];
  /** The SQL front end for `.sql(text)`; `@jetflow/sql`'s `pipeline()` passes it for you. */
  readonly sql?: SqlFrontend;
  /** Rows per source batch at most. @default 10000 */
  readonly maxBatchRows?: number;
  /** Milliseconds a source waits to fill a batch under light load. @default 5 */
  readonly lingerMs?: number;
}

export interface ResolvedPipelineOptions {
  readonly state: StateOption;
  readonly checkpointIntervalMs: number;
  readonly servers: readonly string[] | undefined;
  readonly sql: SqlFrontend | undefined;
  readonly maxBatchRows: number;
  readonly lingerMs: number;
}

/** Applies defaults and validates; errors name the option and what it accepts. */
export function resolvePipelineOptions(options: PipelineOptions = {}): ResolvedPipelineOptions {
  const state = options.state ?? { kind: "memory" };
  if (!["memory", "filesystem", "nats"].includes(state.kind)) {
    throw new InvalidOptionError("state", `state.kind must be memory, filesystem or nats, got "${String(state.kind)}"`);
  }
  if (state.kind === "filesystem" && state.dir.trim() === "") {
    throw new InvalidOptionError("state", "state.dir must name a directory");
  }
  return {
    state,
    checkpointIntervalMs: nonNegativeInt("checkpointIntervalMs", options.checkpointIntervalMs, 1000),
    servers: options.servers,
    sql: options.sql,
    maxBatchRows: positiveInt("maxBatchRows", options.maxBatchRows, 10_000),
    lingerMs: nonNegativeInt("lingerMs", options.lingerMs, 5),
  };
}

function nonNegativeInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidOptionError(name, `${name} must be a whole number >= 0, got ${value}`);
  }
  return value;
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = nonNegativeInt(name, value, fallback);
  if (v === 0) throw new InvalidOptionError(name, `${name} must be >= 1, got 0`);
  return v;
}
