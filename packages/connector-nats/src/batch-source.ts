import type { RawBatch } from "@jetflow/core/base";
import type { Observable } from "rxjs";
import type { SourceStatus } from "./source-status.js";

/**
 * What a pipeline reads a stream through: {@link NatsSource} on the caller's thread, or
 * {@link ThreadedSource}, the same source run in a reader thread. Both give the same batches,
 * offsets, acks and status events.
 */
export interface BatchSource<T = RawBatch> {
  /**
   * Raw batches (threaded with a stage: what the stage made of each); delivery pauses while
   * nobody subscribes, and resumes after what was emitted.
   */
  readonly batches$: Observable<T>;
  readonly status$: Observable<SourceStatus>;
  /** Messages not yet delivered (num_pending), summed over the consumers. */
  lag(): number;
  /** Resolves once every message in the stream at open has been emitted (and, threaded, applied). */
  caughtUp(): Promise<void>;
  /** Acks up to `offsets` on consumers with an ack policy, after the checkpoint covering them committed. */
  ack(offsets: ReadonlyMap<string, number>): Promise<void>;
  /** Publishes a dead letter on the source's connection. */
  publish(
    subject: string,
    payload: Uint8Array,
    headers?: Readonly<Record<string, string>>,
    msgId?: string,
  ): Promise<void>;
  stop(): Promise<void>;
  /** Like `stop()`, and deletes durable consumers too. */
  drop(): Promise<void>;
}
