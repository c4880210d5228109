/**
 * @jetflow/connector-nats: the NATS JetStream source (RisingWave's NATS connector options).
 *
 * ```ts
 * const config = resolveNatsOptions(withOptions);              // validate WITH (...) once
 * const source = await NatsSource.open(config, { offsets });   // connect, check stream, create consumers
 * source.batches$.subscribe((raw) => pipeline.process(raw));   // RawBatch: columns + offsets
 * await source.caughtUp();
 * await source.ack(committedOffsets);                          // durable consumers, after a checkpoint
 * await source.stop();
 * ```
 *
 * Consumers: feature-detected from the server's version (`serverFeatures`). On nats-server 2.10+
 * several subjects are ONE pull consumer with `filter_subjects` (one sequence space); on 2.9,
 * which silently ignores `filter_subjects`, one pull consumer per subject. Offsets are keyed by
 * subject on both layouts (a multi-filter consumer reports its position under each of its
 * subjects; restoring per-subject offsets into it starts at the lowest and skips, per subject,
 * what was handled), so a checkpoint taken against one server resumes exactly on the other.
 * Overlapping filters stay refused: 2.10+ servers reject them too (API error 10138). Without
 * `consumer.durable_name` they are ephemeral (memory storage, removed on stop), created
 * explicitly rather than as nats.js ordered consumers so the source owns the recovery: the
 * delivery sequence is checked on every message and a gap, a deleted consumer, a server
 * restart or a reconnect recreates the consumer at the exact next stream sequence (status
 * `consumer_recreated`), with the same code path for durable consumers, whose acks wait for
 * `ack()`. Messages at or below a consumer's last handed-over sequence are dropped.
 */
export type {
  AckPolicy,
  ConnectMode,
  NatsConsumerOptions,
  NatsCreateStreamOptions,
  NatsSourceConfig,
  NatsTlsOptions,
  StartupMode,
} from "./config.js";
export { NATS_CONNECTION_KEYS, NATS_CREATE_STREAM_KEYS, NATS_OPTION_KEYS } from "./config.js";
export { createdStreamConfig } from "./stream-setup.js";
export { resolveNatsOptions } from "./resolve-options.js";
/** The WITH-value readers behind resolveNatsOptions, for other components with WITH options (sinks). */
export { closestKey, readBool, readInt, readList } from "./option-values.js";
export type { NatsConnectConfig } from "./connect.js";
export { connectNats } from "./connect.js";
export type { SourceRuntimeOptions } from "./runtime-options.js";
export { DEFAULT_LINGER_MS, DEFAULT_MAX_BATCH_ROWS, DEFAULT_PULL_MESSAGES } from "./runtime-options.js";
export type { SourceStatus } from "./source-status.js";
export type { ReadPath } from "./read-path.js";
export { DEFAULT_READ_PATH, READ_PATH_ENV, READ_PATHS, resolveReadPath } from "./read-path.js";
export { NatsSource } from "./nats-source.js";
export type { BatchSource } from "./batch-source.js";
export { ThreadedSource } from "./threaded-source.js";
export type { ThreadStage, ThreadStageSpec, CreateThreadStage } from "./thread-stage.js";
export { builtExecArgv, ReaderThreads } from "./reader-threads.js";
export { removeConsumers } from "./consumer-cleanup.js";
export { partitionCountOf, streamPartitionCount } from "./stream-partitions.js";
export type { ServerFeatures } from "./server-features.js";
export { featuresOf, serverFeatures } from "./server-features.js";
export {
  AuthenticationFailedError,
  ConnectionFailedError,
  ConsumerFailedError,
  PermissionDeniedError,
  StreamNotFoundError,
} from "./errors.js";
export { streamNameViolations } from "./stream-name.js";
export { checkSubscribePermission } from "./stream-setup.js";
