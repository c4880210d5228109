import type { DatasetSpec, Expected } from "./dataset.js";
import { mainThreadCpuSeconds, otherThreadsCpuSeconds } from "./thread-cpu.js";
import type { MemoryPeaks } from "./memory-sampler.js";

/**
 * What a pipeline computes over a dataset:
 * - `table`: a table keyed by `id` (upsert, retraction of the old row) and a group-by view over it;
 * - `table-distinct`: the same with a heavier group-by (min, max and count(DISTINCT) too, which
 *   keep each group's values), where the aggregate's share of the work is large;
 * - `source-filter`: an append-only source, `WHERE v >= FILTER_MIN_V`, and a group-by view.
 */
/**
 * What a jetflow scenario's SQL computes over the dataset (`jetflow-sql.ts`): the group-by of a
 * table, the same with min, max and count(DISTINCT), the group-by of the table joined with its
 * distinct keys (the same view through a join that keeps both sides), the group-by and a top-10 of
 * the table by `v` (the group-by is the view checked), or a filtered source.
 */
export type Shape = "table" | "table-distinct" | "table-join" | "table-top" | "source-filter";

/** The sinks of a sink scenario (see {@link Scenario}'s `sink`). */
export type SinkSet = "none" | "stream" | "stream+kv";

/** One measurement, run in its own child process. */
export type Scenario =
  | { readonly kind: "ceiling"; readonly id: string; readonly label: string; readonly dataset: DatasetSpec }
  | {
      readonly kind: "peer";
      readonly id: string;
      readonly label: string;
      readonly dataset: DatasetSpec;
      readonly shape: Shape;
    }
  | {
      readonly kind: "jetflow";
      readonly id: string;
      readonly label: string;
      readonly dataset: DatasetSpec;
      readonly shape: Shape;
      /** Checkpoint to the filesystem every second (else no checkpoints at all). */
      readonly checkpoints: boolean;
      /**
       * Checkpoint in memory every second (what a sink publishes after) and sink the group-by view:
       * to a JetStream stream (FORMAT UPSERT), to a stream and a KV bucket, or nowhere (the
       * baseline the sinks' cost is measured against). @default no sink, no checkpoints
       */
      readonly sink?: SinkSet;
      /** How the sources read JetStream (PipelineOptions.readPath); the pipeline's default when absent. */
      readonly readPath?: "lean" | "consumer";
      /** Reader threads (PipelineOptions.workers); the pipeline's default when absent. */
      readonly workers?: number;
      /** Where threaded inputs decode (PipelineOptions.decodeIn); `auto` when absent. */
      readonly decodeIn?: "reader" | "main";
      /** Operator threads the GROUP BY runs in as shards (PipelineOptions.shards); none when absent. */
      readonly shards?: number;
      /** `throughput` rows are compared with the ceiling and the peer; `memory` rows are backlog drains. */
      readonly group: "throughput" | "memory";
      /** The scenario ids this one is compared with. */
      readonly ceiling: string;
      readonly peer: string;
    }
  | {
      /**
       * A shape run by a group of `members` processes over `partitions` partitions
       * (`jetflow run --group`), timed until the whole view read through the group is complete.
       */
      readonly kind: "group";
      readonly id: string;
      readonly label: string;
      readonly dataset: DatasetSpec;
      readonly shape: Shape;
      readonly members: number;
      readonly partitions: number;
      /** The scenario ids this one is compared with. */
      readonly ceiling: string;
      readonly peer: string;
    }
  | {
      readonly kind: "latency";
      readonly id: string;
      readonly label: string;
      /** The stream the parent publishes into while the child observes the view (empty at start). */
      readonly dataset: DatasetSpec;
      /** Messages per second the parent publishes. */
      readonly rate: number;
      /** Messages published before measuring starts. */
      readonly warmup: number;
      /**
       * Concurrent HTTP lookup clients (in a process of their own): measures the round trips of
       * index probes, `GET /api/relations/t?id=N` and `GET /api/relations/agg?k=gN` (serving while
       * ingesting), instead of publish -> view latency.
       */
      readonly lookups?: number;
      /**
       * Observes the stream with a plain nats.js consumer instead of a pipeline (see
       * `latency-floor.ts`): the publish -> delivery latency this machine gives any consumer.
       */
      readonly floor?: boolean;
    };

/** What the parent hands a child: the scenario plus where and what to expect. */
export interface WorkerRequest {
  readonly scenario: Scenario;
  readonly url: string;
  readonly expected: Expected | undefined;
}

/** A latency distribution in milliseconds. */
export interface Latency {
  readonly samples: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** What a child measured. */
export interface ScenarioResult {
  readonly id: string;
  readonly label: string;
  readonly kind: Scenario["kind"];
  readonly dataset: string;
  readonly messages: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly msgPerSec: number;
  /** Payload megabytes (10^6 bytes) per second. */
  readonly mbPerSec: number;
  /** CPU seconds (user + system, every thread) the child spent in the timed section. */
  readonly cpuSeconds?: number;
  /** Peak resident set size of the child process, in MiB. */
  readonly peakRssMiB: number;
  /** Process CPU time (user + system, every thread) per message over the timed section, in µs. */
  readonly cpuUsPerMsg?: number;
  /** The main thread's share of it (Linux): the rest is reader threads, GC helpers and libuv. */
  readonly mainCpuUsPerMsg?: number;
  /** The busiest other thread's (Linux): with `--workers`, the reader thread. */
  readonly otherCpuUsPerMsg?: number;
  /** The view's fingerprint (undefined for the ceiling, which computes nothing). */
  readonly view?: { readonly groups: number; readonly count: number; readonly sum: number };
  readonly latency?: Latency;
  /** Peaks of heap and buffer memory (filled in by the child process that ran the scenario). */
  readonly memory?: MemoryPeaks;
  /** What did not match the expected results; empty when everything did. */
  readonly problems: readonly string[];
}

/** A result plus what the parent derives from the other results of the run. */
export interface RowResult extends ScenarioResult {
  readonly vsCeiling?: number;
  readonly vsPeer?: number;
  readonly error?: string;
}

/** The view fingerprint a shape should end with. */
export function expectedView(expected: Expected, shape: Shape): Expected["table"] {
  return shape === "source-filter" ? expected.filtered : expected.table;
}

/** Compares what a scenario consumed and its view with the expectation; returns what differs. */
export function checkResult(
  expected: Expected | undefined,
  shape: Shape | undefined,
  counted: { readonly messages: number; readonly bytes: number },
  view: ScenarioResult["view"],
): string[] {
  if (expected === undefined) return [];
  const problems: string[] = [];
  if (counted.messages !== expected.messages) {
    problems.push(`consumed ${counted.messages} messages, expected ${expected.messages}`);
  }
  if (counted.bytes !== expected.bytes)
    problems.push(`consumed ${counted.bytes} payload bytes, expected ${expected.bytes}`);
  if (shape !== undefined && view !== undefined) {
    const want = expectedView(expected, shape);
    for (const field of ["groups", "count", "sum"] as const) {
      if (view[field] !== want[field]) problems.push(`view ${field} ${view[field]}, expected ${want[field]}`);
    }
  }
  return problems;
}

/** Nearest-rank percentiles of a sample (sorted in place). */
export function latencyOf(samples: Float64Array): Latency {
  samples.sort();
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)] ?? NaN;
  return {
    samples: samples.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
    max: samples[samples.length - 1] ?? NaN,
  };
}

/** Fills in the parts of a result every scenario computes the same way. */
/** CPU usage when the timed section started (one scenario per process: set once by {@link startTiming}). */
let cpuAtStart: NodeJS.CpuUsage | undefined;
let mainCpuAtStart: number | undefined;
let othersAtStart = new Map<number, number>();

/** Marks the start of the timed section: returns `performance.now()` and notes the process CPU time. */
export function startTiming(): number {
  cpuAtStart = process.cpuUsage();
  mainCpuAtStart = mainThreadCpuSeconds();
  othersAtStart = otherThreadsCpuSeconds();
  return performance.now();
}

export function throughput(
  id: string,
  label: string,
  kind: Scenario["kind"],
  dataset: DatasetSpec,
  messages: number,
  bytes: number,
  seconds: number,
): Omit<ScenarioResult, "peakRssMiB" | "problems"> {
  const cpu = cpuAtStart === undefined || messages === 0 ? undefined : process.cpuUsage(cpuAtStart);
  const mainNow = mainThreadCpuSeconds();
  const main =
    mainCpuAtStart === undefined || mainNow === undefined || messages === 0 ? undefined : mainNow - mainCpuAtStart;
  let busiest = 0;
  for (const [tid, now] of otherThreadsCpuSeconds()) busiest = Math.max(busiest, now - (othersAtStart.get(tid) ?? 0));
  return {
    ...(main === undefined ? {} : { mainCpuUsPerMsg: (main * 1e6) / messages }),
    ...(main === undefined || messages === 0 ? {} : { otherCpuUsPerMsg: (busiest * 1e6) / messages }),
    ...(cpu === undefined
      ? {}
      : { cpuSeconds: (cpu.user + cpu.system) / 1e6, cpuUsPerMsg: (cpu.user + cpu.system) / messages }),
    id,
    label,
    kind,
    dataset: dataset.id,
    messages,
    bytes,
    seconds,
    msgPerSec: messages / seconds,
    mbPerSec: bytes / 1e6 / seconds,
  };
}

/** Peak RSS of this process so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
