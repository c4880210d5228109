import { DEFAULT_LINGER_MS, DEFAULT_MAX_BATCH_ROWS, type ReadPath, resolveReadPath } from "@jetflow/connector-nats";
import { InvalidOptionError, wholeNumberOption } from "@jetflow/core";
import { type DecodeIn, resolveDecodeIn } from "./decode-placement.js";
import { resolveShards, resolveWorkers } from "./workers.js";
import type { CheckpointBackend } from "@jetflow/state";
import type { SqlFrontend } from "./spec.js";

/**
 * Where checkpoints go. `backend` takes a ready {@link CheckpointBackend} (what a group of
 * processes hands each partition); the pipeline closes it when it stops, as it closes the
 * backends it opens, so hand each run its own (a wrapper, when the storage outlives the run).
 *
 * @example
 * ```ts
 * pipeline({ state: { kind: "backend", backend: memoryBackend() }, checkpointIntervalMs: 0 });
 * ```
 */
export type StateOption =
  | { readonly kind: "memory" }
  | { readonly kind: "filesystem"; readonly dir: string; readonly keep?: number }
  | { readonly kind: "nats"; readonly bucket: string; readonly servers?: readonly string[] }
  | { readonly kind: "backend"; readonly backend: CheckpointBackend };

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
  /** The SQL front end for `.sql(text)`; `@jetflow/sql`'s `sqlPipeline()` passes it for you. */
  readonly sql?: SqlFrontend;
  /** Rows per source batch at most; @default DEFAULT_MAX_BATCH_ROWS (10000) */
  readonly maxBatchRows?: number;
  /** Milliseconds a source lingers to fill a batch while it is behind. @default DEFAULT_LINGER_MS (5) */
  readonly lingerMs?: number;
  /**
   * Messages sinks may hold unacked (sealed or not) before sources pause their pulls; they
   * resume at half. Bounds memory when a sink's server is slow or away.
   * @default 100000
   */
  readonly sinkMaxPending?: number;
  /**
   * How sources read JetStream: `lean` (their own pulls, no per-message `JsMsg`) or `consumer`
   * (nats.js's consumer API, the fallback). The environment variable `JETFLOW_READ_PATH`
   * overrides it. @default "lean"
   */
  readonly readPath?: ReadPath;
  /**
   * Threads beside this one that read the sources: each source or table reads NATS (the
   * connection, the pulls, nats.js's parsing, batch building) in one of them, spread
   * round-robin, and hands its batches over as transferred buffers (decoded there or here, see
   * `decodeIn`); the operators run here. 0 reads on this thread. The environment variable `JETFLOW_WORKERS`
   * overrides it. Sources beyond `workers` share threads; threads start as sources open.
   * @default cores - 1, at least 1 ({@link defaultWorkers})
   */
  readonly workers?: number;
  /**
   * Where an input read in a reader thread is decoded: `reader` (there; its rows cross as Arrow
   * buffers), `main` (here), or `auto`: in the readers once two or more of them read (several
   * inputs, or a stream the server partitions) on a core each, else here (`decodesInReaders`). The
   * environment variable `JETFLOW_DECODE_IN` overrides it. No effect without `workers`.
   * @default "auto"
   */
  readonly decodeIn?: DecodeIn;
  /**
   * Operator threads: a keyed operator (a GROUP BY's aggregate, a join that keeps both sides, a
   * top-N) runs as `shards` shards, one per thread, each holding the keys (a top-N: the rows) that
   * hash to it; each batch is split by key, the shards work in parallel, and their changes are
   * joined into the view's (a top-N's merged by a top-N of their windows; a view, `changes$`, lookups
   * and checkpoints see no difference; state restores into any other number of shards). 0 runs
   * every operator on this thread. The environment variable `JETFLOW_SHARDS` overrides it.
   * @default 0
   */
  readonly shards?: number;
}

export interface ResolvedPipelineOptions {
  readonly state: StateOption;
  readonly checkpointIntervalMs: number;
  readonly servers: readonly string[] | undefined;
  readonly sql: SqlFrontend | undefined;
  readonly maxBatchRows: number;
  readonly lingerMs: number;
  readonly sinkMaxPending: number;
  readonly readPath: ReadPath;
  readonly workers: number;
  readonly decodeIn: DecodeIn;
  readonly shards: number;
}

/** Applies defaults and validates; errors name the option and what it accepts. */
export function resolvePipelineOptions(options: PipelineOptions = {}): ResolvedPipelineOptions {
  const state = options.state ?? { kind: "memory" };
  if (!["memory", "filesystem", "nats", "backend"].includes(state.kind)) {
    throw new InvalidOptionError(
      "state",
      `state.kind must be memory, filesystem, nats or backend, got "${String(state.kind)}"`,
    );
  }
  if (state.kind === "backend" && !isBackend(state.backend)) {
    throw new InvalidOptionError("state", "state.backend must be a CheckpointBackend (load, commit and close)");
  }
  if (state.kind === "filesystem" && state.dir.trim() === "") {
    throw new InvalidOptionError("state", "state.dir must name a directory");
  }
  return {
    state,
    checkpointIntervalMs: wholeNumberOption("checkpointIntervalMs", options.checkpointIntervalMs, 1000, 0),
    servers: options.servers,
    sql: options.sql,
    maxBatchRows: wholeNumberOption("maxBatchRows", options.maxBatchRows, DEFAULT_MAX_BATCH_ROWS, 1),
    lingerMs: wholeNumberOption("lingerMs", options.lingerMs, DEFAULT_LINGER_MS, 0),
    sinkMaxPending: wholeNumberOption("sinkMaxPending", options.sinkMaxPending, 100_000, 1),
    readPath: resolveReadPath(options.readPath),
    workers: resolveWorkers(options.workers),
    decodeIn: resolveDecodeIn(options.decodeIn),
    shards: resolveShards(options.shards),
  };
}

function isBackend(b: unknown): b is CheckpointBackend {
  const o = b as Partial<Record<keyof CheckpointBackend, unknown>> | undefined;
  return typeof o?.load === "function" && typeof o.commit === "function" && typeof o.close === "function";
}
