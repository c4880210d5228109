export type {
  IncludeColumn,
  FormatSpec,
  IngestSpec,
  SourceSpec,
  TableSpec,
  SinkSpec,
  ViewQuery,
  Statement,
  Catalog,
  SqlFrontend,
  ParsedStatement,
} from "./spec.js";
export { Pipeline, pipeline } from "./pipeline.js";
export type { PipelineStatus, ViewHandle } from "./pipeline.js";
export type { PipelineOptions, StateOption } from "./options.js";
export type { BadMessagePolicy } from "./bad-message-policy.js";
export { PIPELINE_WITH_KEYS } from "./bad-message-policy.js";
export type { CheckpointReport } from "./checkpoint-coordinator.js";
export { Metrics } from "./metrics.js";
export { RelationNameError, PipelineStateError, BadMessageError, PipelineError } from "./errors.js";
