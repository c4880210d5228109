/**
 * @jetflow/sinks: relations flow back into NATS, exactly once.
 *
 * ```ts
 * const sink = new NatsSink("out", resolveSinkOptions(withOptions, "plain"));
 * sink.bind({ name: "orders", columns, key: undefined, appendOnly: true });
 * await sink.open();
 * ```
 */
export type { SinkConfig, SinkFormat, SinkTarget } from "./sink-options.js";
export { resolveSinkOptions, SINK_OPTION_KEYS } from "./sink-options.js";
export type { SinkInput } from "./encoder.js";
export { Encoder } from "./encoder.js";
export { EpochBuffer, MessageOp } from "./epoch-buffer.js";
export type { MessageChunk } from "./epoch-buffer.js";
export { escapeToken, unescapeToken, joinKey, splitKey } from "./key-escape.js";
export { parseSubjectTemplate, fillSubject } from "./subject-template.js";
export type { SubjectTemplate } from "./subject-template.js";
export type { DeliveryCounters } from "./deliver.js";
export { MAX_BATCH_MESSAGES } from "./atomic-batch.js";
export { NatsSink } from "./nats-sink.js";
export type { NatsSinkOptions, SinkDelivery } from "./nats-sink.js";
export { SinkError } from "./errors.js";
export { AckWaiters } from "./ack-waiters.js";
