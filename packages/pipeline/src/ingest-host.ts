import type { ReaderThreads, ReadPath } from "@jetflow/connector-nats";
import type { DecodeIn } from "./decode-placement.js";
import type { PipelineMetrics } from "./metrics.js";
import type { PipelineStatus } from "./status.js";

/** What an input relation (a source, a table, a feed) needs from its pipeline while it runs. */
export interface IngestHost {
  /** How sources run: batching, and the servers that replace every `server_url` (the CLI's `--server`). */
  readonly runtime: {
    readonly maxBatchRows: number;
    readonly lingerMs: number;
    readonly servers: readonly string[] | undefined;
    readonly readPath: ReadPath;
    /** Where sources read when `workers` > 0; undefined: on this thread. */
    readonly readers: ReaderThreads | undefined;
    /** Where threaded inputs decode, and the pipeline's NATS inputs (sources and tables): see `decodesInReaders`. */
    readonly decodeIn: DecodeIn;
    readonly inputs: number;
  };
  readonly metrics: PipelineMetrics;
  /** Source connection events, bad messages, errors that do not stop the run. */
  status(event: PipelineStatus): void;
  /** Whether batches are applied now (not while the pipeline stops or after it failed). */
  accepting(): boolean;
  /** Stops the run (a bad message under the `fail` policy, a source that gave up). */
  fail(error: unknown): void;
  /**
   * After each batch: a promise when ingestion must wait (sinks hold too much unacked); the
   * source then stops pulling until it resolves. Undefined: go on.
   */
  throttle?(): Promise<void> | undefined;
}
