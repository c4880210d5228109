import type { Pipeline } from "@jetflow/pipeline";

/** What the web page plots: counters now, and when the last checkpoint committed. */
export interface StatusReading {
  /** Milliseconds since the epoch, on the server. */
  readonly now: number;
  readonly messagesIn: number;
  readonly bytesIn: number;
  readonly consumerLag: number;
  readonly badMessages: number;
  readonly checkpoints: number;
  /** Milliseconds since the last checkpoint committed; null before the first. */
  readonly checkpointAgeMs: number | null;
}

/** Reads the pipeline's metrics for `/api/status`, and remembers the last checkpoint's time from `status$`. */
export class StatusBoard {
  private lastCheckpoint: number | undefined;
  private readonly subscription;

  constructor(private readonly p: Pipeline) {
    this.subscription = p.status$.subscribe((s) => {
      if (s.type === "checkpoint") this.lastCheckpoint = Date.now();
    });
  }

  read(): StatusReading {
    const m = this.p.metrics;
    const now = Date.now();
    return {
      now,
      messagesIn: m.total("jetflow_messages_in_total"),
      bytesIn: m.total("jetflow_bytes_in_total"),
      consumerLag: m.total("jetflow_consumer_lag"),
      badMessages: m.total("jetflow_decode_errors_total"),
      checkpoints: m.total("jetflow_checkpoints_total"),
      checkpointAgeMs: this.lastCheckpoint === undefined ? null : now - this.lastCheckpoint,
    };
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}
