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
 * Consumers: one pull consumer per subject, keyed by the subject (so checkpointed offsets map back
 * to the same consumer on any server version; nats-server 2.9 has no multi-filter consumers, and a
 * single multi-filter consumer on newer servers would change the keys). Without
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
export { NATS_OPTION_KEYS } from "./config.js";
export { resolveNatsOptions } from "./resolve-options.js";
/** The WITH-value readers behind resolveNatsOptions, for other components with WITH options (sinks). */
export { closestKey, readBool, readInt, readList } from "./option-values.js";
export type { NatsConnectConfig } from "./connect.js";
export { connectNats } from "./connect.js";
export type { SourceRuntimeOptions } from "./runtime-options.js";
export { DEFAULT_LINGER_MS, DEFAULT_MAX_BATCH_ROWS } from "./runtime-options.js";
export type { SourceStatus } from "./source-status.js";
export { NatsSource } from "./nats-source.js";
export {
  AuthenticationFailedError,
  ConnectionFailedError,
  ConsumerFailedError,
  PermissionDeniedError,
  StreamNotFoundError,
} from "./errors.js";
export { streamNameViolations } from "./stream-name.js";
