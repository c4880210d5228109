import { ErrorCode, JetflowError } from "@jetflow/core";

/**
 * A sink cannot deliver: its subject has no stream behind it, its bucket cannot be created, or
 * the relation it reads does not fit its format. Code `SINK_FAILED`; `sink` names the sink.
 *
 * @example
 * ```ts
 * try { await p.start(); } catch (e) {
 *   if (e instanceof SinkError) console.error(`sink ${e.sink}: ${e.message}`);
 * }
 * ```
 */
export class SinkError extends JetflowError {
  override readonly name = "SinkError";
  constructor(
    readonly sink: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.SinkFailed, message, options);
  }
}
