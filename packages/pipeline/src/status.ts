import type { SourceStatus } from "@jetflow/connector-nats";
import type { SinkDelivery } from "@jetflow/sinks";
import type { CheckpointResult } from "@jetflow/state";
import type { RelationKind } from "./relation.js";

/**
 * Lifecycle and progress of a pipeline, as data (`Pipeline.status$`).
 *
 * @example
 * ```ts
 * p.status$.subscribe((s) => {
 *   if (s.type === "bad_message") console.warn(`${s.relation} #${s.sequence}: ${s.reason}`);
 * });
 * ```
 */
export type PipelineStatus =
  | { readonly type: "started"; readonly restoredCheckpoint: number | undefined }
  | { readonly type: "source"; readonly relation: string; readonly status: SourceStatus }
  | { readonly type: "checkpoint"; readonly report: CheckpointResult }
  | { readonly type: "bad_message"; readonly relation: string; readonly sequence: number; readonly reason: string }
  | { readonly type: "caught_up" }
  /** `exec()` created a relation (a source, table or view) on the running pipeline. */
  | { readonly type: "relation_created"; readonly relation: string; readonly kind: RelationKind }
  /** `exec()` dropped a relation from the running pipeline. */
  | { readonly type: "relation_dropped"; readonly relation: string }
  /** A sink delivered an epoch: every message of it acked (published, or dropped as a duplicate). */
  | { readonly type: "sink"; readonly sink: string; readonly delivery: SinkDelivery }
  | { readonly type: "error"; readonly error: Error }
  | { readonly type: "stopped" };
