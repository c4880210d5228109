/**
 * @jetflow/serve: a running pipeline's tables and views over HTTP (JSON, Arrow IPC, SSE, a live
 * web page) and as a NATS service; for a member of a group (`serveGroup`, `groupNatsService`), the
 * same answers for the whole of every relation. Functions rather than `pipeline.serve()`: the pipeline
 * package cannot depend on this one.
 */
export type { JetflowServer } from "./http-server.js";
export { ARROW_STREAM, serve, serveGroup, serveRelations } from "./http-server.js";
export type { GroupServeOptions, ServeOptions } from "./options.js";
export type { JetflowNatsService, NatsServiceOptions } from "./nats-service.js";
export { groupNatsService, natsService } from "./nats-service.js";
export type {
  ChangeFeed,
  RelationEvent,
  RelationSource,
  RelationSummary,
  ServedRelation,
  ServedRelations,
} from "./served-relations.js";
export { pipelineRelations, pipelineRelationSource } from "./pipeline-relations.js";
export { groupRelations, groupRelationSource } from "./group-relations.js";
export { groupMetricsText, labelledText } from "./group-metrics.js";
export { GroupChangePolls } from "./group-change-polls.js";
export type { StatusReading } from "./status-board.js";
export { RequestError } from "./errors.js";
