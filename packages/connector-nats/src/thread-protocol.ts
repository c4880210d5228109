import type { MessagePort } from "node:worker_threads";
import type { ErrorData } from "./error-transfer.js";
import type { SourceRuntimeOptions } from "./runtime-options.js";
import type { SourceStatus } from "./source-status.js";

/**
 * The messages between a {@link ThreadedSource} (main thread) and its session in a reader
 * thread (`source-thread.ts`), and the shared credit counter they both touch.
 */

/** Batches the main thread may hold (one being applied, one ready) before the reader waits. */
export const MAX_IN_FLIGHT = 2;
/** Int32 slots of the shared credit buffer. */
export const CREDIT_IN_FLIGHT = 0;
/** Non-zero while the main thread pauses or stops the session: the reader must not wait. */
export const CREDIT_FLAG = 1;
export const CREDIT_SLOTS = 2;

/** To the reader thread's parent port: start a session on `port`. */
export interface OpenSession {
  readonly t: "open";
  readonly port: MessagePort;
  /** The WITH options, resolved again in the reader thread (a resolved config holds functions). */
  readonly withOptions: Record<string, string>;
  readonly runtime: SourceRuntimeOptions;
  /** {@link CREDIT_SLOTS} Int32 slots. */
  readonly credit: SharedArrayBuffer;
  /** The module and options of the session's stage (see `ThreadStage`); none: raw batches. */
  readonly stage: { readonly module: string; readonly options: unknown } | undefined;
}

/** Main thread -> session. */
export type ToReader =
  | { readonly t: "subscribe" }
  | { readonly t: "pause" }
  | { readonly t: "ack"; readonly id: number; readonly offsets: readonly (readonly [string, number])[] }
  | {
      readonly t: "publish";
      readonly id: number;
      readonly subject: string;
      readonly payload: Uint8Array;
      readonly headers: Readonly<Record<string, string>> | undefined;
      readonly msgId: string | undefined;
    }
  | { readonly t: "stop"; readonly id: number; readonly drop: boolean };

/** A status event with its error as data. */
export type StatusData =
  | Exclude<SourceStatus, { type: "error" }>
  | { readonly type: "error"; readonly error: ErrorData };

/** Session -> main thread. */
export type ToMain =
  | { readonly t: "opened" }
  | { readonly t: "failed"; readonly error: ErrorData }
  /** A batch as the session's stage packed it (raw: a `PackedBatch`). */
  | { readonly t: "batch"; readonly batch: unknown; readonly lag: number }
  | { readonly t: "lag"; readonly lag: number }
  | { readonly t: "status"; readonly status: StatusData }
  | { readonly t: "caught_up" }
  | { readonly t: "error"; readonly error: ErrorData }
  | { readonly t: "complete" }
  | { readonly t: "reply"; readonly id: number; readonly error?: ErrorData };
