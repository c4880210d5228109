import { ErrorCode, JetflowError } from "@jetflow/core";

/**
 * Why a checkpoint operation failed, as data (match on it, not on the message):
 * - `locked`: another process (or backend instance) holds the state directory
 * - `conflict`: another worker committed to the same NATS bucket since this one opened it
 * - `write`: the backend could not write or commit (disk full, I/O error, NATS unavailable)
 * - `read`: the backend could not list or read what it stores (other than a corrupt checkpoint, which is skipped)
 * - `chain`: a delta checkpoint has no committed base (commit a full one first), or its base failed
 * - `id`: a checkpoint id that is not above the newest one stored
 * - `unknown-store`: a restored checkpoint holds a store the pipeline does not have (the pipeline changed)
 * - `duplicate-store`: two stores share one id
 * - `closed`: the backend was closed
 */
export type CheckpointErrorReason =
  | "locked"
  | "conflict"
  | "write"
  | "read"
  | "chain"
  | "id"
  | "unknown-store"
  | "duplicate-store"
  | "closed";

/**
 * A checkpoint could not be written, read or restored. Code `CHECKPOINT_FAILED`; `reason` says which case.
 *
 * @example
 * ```ts
 * try { filesystemBackend("/var/lib/jetflow"); } catch (e) {
 *   if (e instanceof CheckpointError && e.reason === "locked") console.error(e.message);
 * }
 * ```
 */
export class CheckpointError extends JetflowError {
  override readonly name = "CheckpointError";

  constructor(
    readonly reason: CheckpointErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.CheckpointFailed, message, options);
  }
}
