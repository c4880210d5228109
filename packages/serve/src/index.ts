/**
 * @jetflow/serve: a running pipeline's tables and views over HTTP (JSON, Arrow IPC, SSE, a live
 * web page) and as a NATS service. Functions rather than `pipeline.serve()`: the pipeline
 * package cannot depend on this one.
 */
export type { JetflowServer } from "./http-server.js";
export { ARROW_STREAM, serve } from "./http-server.js";
export type { ServeOptions } from "./options.js";
export type { JetflowNatsService, NatsServiceOptions } from "./nats-service.js";
export { natsService } from "./nats-service.js";
export type { StatusReading } from "./status-board.js";
export { RequestError } from "./errors.js";
