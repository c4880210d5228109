import { Checkpointer, type CheckpointBackend, type KeyedStore } from "@jetflow/state";

/** What one committed checkpoint reports. */
export interface CheckpointReport {
  readonly id: number;
  readonly kind: "full" | "delta";
  readonly bytes: number;
  readonly durationMs: number;
}

export interface CoordinatorHooks {
  /** The stores of every relation, in a stable order. */
  stores(): Iterable<KeyedStore<unknown>>;
  /** Per source, per consumer key, the last fully processed stream sequence. */
  offsets(): Record<string, Record<string, number>>;
  /** Called after a checkpoint committed, with the offsets it covers: the moment to ack. */
  committed(report: CheckpointReport, offsets: Record<string, Record<string, number>>): Promise<void>;
  meta(): Record<string, string>;
  /** Called in the tick of the capture, just before it (sinks seal their epoch here). */
  capture?(): void;
}

/**
 * Takes a checkpoint every `intervalMs` and on demand. The capture is synchronous (the timer
 * fires between two batches, when the graph is consistent with the offsets); the write runs
 * while batches keep flowing; acks go out only after the write committed.
 */
export class CheckpointCoordinator {
  private readonly checkpointer: Checkpointer;
  private timer: NodeJS.Timeout | undefined;
  private failure: ((e: unknown) => void) | undefined;
  /** The checkpoint in flight; the next one starts (and captures) only after it settles. */
  private inFlight: Promise<unknown> = Promise.resolve();
  private busy = false;

  constructor(
    readonly backend: CheckpointBackend,
    private readonly hooks: CoordinatorHooks,
  ) {
    this.checkpointer = new Checkpointer(backend, () => hooks.stores());
  }

  /** Loads the newest checkpoint into the stores; undefined when there is none. */
  restore(): ReturnType<Checkpointer["restore"]> {
    return this.checkpointer.restore();
  }

  /** Starts the timer; `onError` hears about a checkpoint that failed. */
  start(intervalMs: number, onError: (e: unknown) => void): void {
    this.failure = onError;
    if (intervalMs > 0) {
      this.timer = setInterval(() => {
        // A timer tick while a write is still going is skipped, not queued.
        if (!this.busy) this.checkpoint().catch((e: unknown) => this.failure?.(e));
      }, intervalMs);
      this.timer.unref();
    }
  }

  /**
   * Captures (once the previous checkpoint settled), writes, then acks. The offsets and the
   * stores are captured in the same tick, so the state is exactly the one those offsets produce.
   */
  checkpoint(): Promise<CheckpointReport> {
    const run = async (): Promise<CheckpointReport> => {
      this.busy = true;
      try {
        this.hooks.capture?.();
        const offsets = this.hooks.offsets();
        const report = await this.checkpointer.checkpoint(offsets, this.hooks.meta());
        await this.hooks.committed(report, offsets);
        return report;
      } finally {
        this.busy = false;
      }
    };
    const next = this.inFlight.then(run, run);
    this.inFlight = next.catch(() => undefined);
    return next;
  }

  stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.stopTimer();
    await this.backend.close();
  }
}
