import {
  CheckpointError,
  type CheckpointBackend,
  type CheckpointResult,
  Checkpointer,
  type KeyedStore,
} from "@jetflow/state";
import { PipelineError } from "./errors.js";
import type { StateOption } from "./options.js";

/** Per relation, per consumer key, the last fully processed stream sequence. */
export type PipelineOffsets = Record<string, Record<string, number>>;

/** What a checkpoint says about the state it holds; a restore refuses state that says otherwise. */
export interface StateIdentity {
  /** A hash of the pipeline's relations, columns, keys and queries. */
  readonly fingerprint: string;
  /** The layout of the stored state (see `STATE_FORMAT`). */
  readonly stateFormat: string;
}

export interface CoordinatorHooks {
  /** The stores of every relation, in a stable order. */
  stores(): Iterable<KeyedStore<unknown>>;
  offsets(): PipelineOffsets;
  /** The identity of the state now (checked on restore, written with each checkpoint). */
  identity(): StateIdentity;
  /** Called after a checkpoint committed, with the offsets it covers: the moment to ack. */
  committed(result: CheckpointResult, offsets: PipelineOffsets): Promise<void>;
  /** Called in the tick of the capture, just before it (sinks seal their epoch here). */
  capture?(): void;
}

/** Where the timer's failed checkpoints are reported. */
export interface CheckpointEvents {
  /** A write failed; the next checkpoint retries it in full. */
  warn(error: CheckpointError): void;
  /** The state cannot be written any more: the run must stop. */
  fail(error: unknown): void;
}

/**
 * Milliseconds between timed checkpoints. In memory a checkpoint only serves to ack durable
 * consumers: without one there is nothing to gain from capturing state, so the timer stays off.
 * A backend given (`kind: "backend"`) keeps state, whatever it stores in.
 */
export function checkpointTimerMs(state: StateOption, intervalMs: number, durableConsumers: boolean): number {
  return state.kind !== "memory" || durableConsumers ? intervalMs : 0;
}

/** What a restore found: the checkpoint's id and offsets, or nothing (a fresh start). */
export type Restored = { readonly id: number; readonly offsets: PipelineOffsets } | undefined;

/**
 * Takes a checkpoint every `intervalMs` and on demand. The capture is synchronous (the timer
 * fires between two batches, when the graph is consistent with the offsets); the write runs
 * while batches keep flowing; acks go out only after the write committed.
 */
export class CheckpointCoordinator {
  private readonly checkpointer: Checkpointer;
  private timer: NodeJS.Timeout | undefined;
  private events: CheckpointEvents | undefined;
  /** The checkpoint in flight; the next one starts (and captures) only after it settles. */
  private inFlight: Promise<unknown> = Promise.resolve();
  private busy = false;

  /** `where` names the state's home for errors (` in ./state`, or empty). */
  constructor(
    readonly backend: CheckpointBackend,
    private readonly hooks: CoordinatorHooks,
    private readonly where: string,
  ) {
    this.checkpointer = new Checkpointer(backend, () => hooks.stores());
  }

  /**
   * Loads the newest checkpoint into the stores. State of another pipeline (a store this one
   * lacks, another fingerprint) or of another state format is refused, never misread.
   * @throws PipelineError naming where the refused state lives and what to do
   */
  async restore(): Promise<Restored> {
    const expected = this.hooks.identity();
    const restored = await this.checkpointer.restore().catch((e: unknown) => {
      throw e instanceof CheckpointError && e.reason === "unknown-store" ? this.foreignState(e) : e;
    });
    if (restored === undefined) return undefined;
    const format = restored.meta["state_format"];
    if (format !== expected.stateFormat) {
      throw new PipelineError(
        `the state${this.where} was written in state format ${format ?? "1"}, this jetflow reads format ${expected.stateFormat}; ` +
          "start with a new state directory or remove the old one (the stream rebuilds it)",
      );
    }
    if (restored.meta["fingerprint"] !== expected.fingerprint) throw this.foreignState();
    return { id: restored.id, offsets: restored.offsets };
  }

  /**
   * Starts the timer. A timed checkpoint whose write failed (disk full, server away) is reported
   * to `events.warn` and retried by the next one, which is then full; only a broken state
   * (another writer, a lock, a changed pipeline) goes to `events.fail`.
   */
  start(intervalMs: number, events: CheckpointEvents): void {
    this.events = events;
    if (intervalMs > 0) {
      this.timer = setInterval(() => {
        // A timer tick while a write is still going is skipped, not queued.
        if (!this.busy) this.checkpoint().catch((e: unknown) => this.failed(e));
      }, intervalMs);
      this.timer.unref();
    }
  }

  /**
   * Captures (once the previous checkpoint settled), writes, then acks. The offsets and the
   * stores are captured in the same tick, so the state is exactly the one those offsets produce.
   */
  checkpoint(): Promise<CheckpointResult> {
    const run = async (): Promise<CheckpointResult> => {
      this.busy = true;
      try {
        this.hooks.capture?.();
        const offsets = this.hooks.offsets();
        const { fingerprint, stateFormat } = this.hooks.identity();
        const result = await this.checkpointer.checkpoint(offsets, { fingerprint, state_format: stateFormat });
        await this.hooks.committed(result, offsets);
        return result;
      } finally {
        this.busy = false;
      }
    };
    const next = this.inFlight.then(run, run);
    this.inFlight = next.catch(() => undefined);
    return next;
  }

  /** Resolves once the checkpoint in flight (if any) settled, whatever its outcome. */
  settled(): Promise<void> {
    return this.inFlight.then(() => undefined);
  }

  stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.stopTimer();
    await this.backend.close();
  }

  private failed(e: unknown): void {
    if (e instanceof CheckpointError && (e.reason === "write" || e.reason === "chain")) this.events?.warn(e);
    else this.events?.fail(e);
  }

  private foreignState(cause?: unknown): PipelineError {
    return new PipelineError(
      `the state${this.where} holds a checkpoint of a different pipeline (its relations, columns or queries changed); ` +
        "start with a new state directory or remove the old one",
      cause === undefined ? undefined : { cause },
    );
  }
}
