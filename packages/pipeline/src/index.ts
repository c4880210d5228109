export type {
  IncludeColumn,
  FormatSpec,
  IngestSpec,
  SourceSpec,
  TableSpec,
  ViewQuery,
  Statement,
  Catalog,
  SqlFrontend,
  ParsedStatement,
} from "./spec.js";
export { Pipeline, pipeline } from "./pipeline.js";
export type { ViewHandle } from "./pipeline.js";
export type { PipelineStatus } from "./status.js";
export type { RelationHandle, RelationKind } from "./relation.js";
export type { PipelineOptions, StateOption } from "./options.js";
export type { BadMessagePolicy } from "./bad-message-policy.js";
export { PIPELINE_WITH_KEYS } from "./bad-message-policy.js";
export type { CheckpointResult } from "@jetflow/state";
export { Metrics, PipelineMetrics } from "./metrics.js";
export { RelationNameError, PipelineStateError, BadMessageError, PipelineError, LookupError } from "./errors.js";
export type { Equalities } from "./lookup.js";
