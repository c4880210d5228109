import type { SinkSpec, ViewQuery } from "../spec.js";
import { connectionWith, type NatsConnect, type NatsStreamLimits, streamLimitsWith } from "./nats.js";

/** What a sink reads: a relation by name, or a query (`CREATE SINK ... AS SELECT`). */
export type SinkFrom = string | ViewQuery;

/** Options both sink connectors share. */
type SinkCommon = NatsConnect & {
  /** `primary_key`: the key columns. @default the relation's own key */
  readonly primaryKey?: string | readonly string[];
  /** `max_in_flight`: publishes awaiting their ack at most. @default 4096 */
  readonly maxInFlight?: number;
};

/**
 * A sink to a JetStream stream (`connector = 'nats'`), one typed spelling per WITH option.
 * @example natsSink("totals", { servers, subject: "totals.{region}", format: "upsert" })
 */
export type NatsSinkDef = SinkCommon & {
  /** `subject`: `{column}` parts are filled from each row (made subject-safe). */
  readonly subject: string;
  /** `FORMAT PLAIN | UPSERT | DEBEZIUM ENCODE JSON`. */
  readonly format: "plain" | "upsert" | "debezium";
  /** `force_append_only`: FORMAT PLAIN over a relation that retracts drops the retractions. @default false */
  readonly forceAppendOnly?: boolean;
  /** `allow_create_stream`: create a stream when none captures the subject. @default false */
  readonly allowCreateStream?: boolean;
  /** `stream`: the name of the stream `allowCreateStream` creates. @default the sink's name in upper case */
  readonly stream?: string;
  /** Limits of the stream `allowCreateStream` creates. */
  readonly streamLimits?: NatsStreamLimits;
};

/**
 * A sink to a KV bucket (`connector = 'nats_kv'`, FORMAT UPSERT): a key per row.
 * @example natsKvSink("totals", { servers, bucket: "totals" })
 */
export type NatsKvSinkDef = SinkCommon & {
  /** `bucket`: created when missing. */
  readonly bucket: string;
};

/**
 * `CREATE SINK ... WITH (connector = 'nats', ...) FORMAT ... ENCODE JSON` in the typed DSL: the
 * same spec the SQL statement gives, so one validator (`resolveSinkOptions`) checks both.
 *
 * @example
 * ```ts
 * pipeline()
 *   .table("orders", ordersDef)
 *   .sink("orders_out", natsSink("orders", { servers: "localhost:4222", subject: "out.orders", format: "upsert" }));
 * ```
 */
export function natsSink(from: SinkFrom, options: NatsSinkDef): SinkSpec {
  const w: Record<string, string> = { connector: "nats", subject: options.subject };
  if (options.allowCreateStream !== undefined) w.allow_create_stream = String(options.allowCreateStream);
  if (options.stream !== undefined) w.stream = options.stream;
  if (options.forceAppendOnly !== undefined) w.force_append_only = String(options.forceAppendOnly);
  return {
    from: fromOf(from),
    with: { ...w, ...commonWith(options), ...streamLimitsWith(options.streamLimits) },
    format: options.format,
  };
}

/**
 * `CREATE SINK ... WITH (connector = 'nats_kv', bucket = ...) FORMAT UPSERT ENCODE JSON` in the
 * typed DSL.
 *
 * @example
 * ```ts
 * p.sink("totals_kv", natsKvSink("totals", { servers: "localhost:4222", bucket: "totals" }));
 * ```
 */
export function natsKvSink(from: SinkFrom, options: NatsKvSinkDef): SinkSpec {
  return {
    from: fromOf(from),
    with: { connector: "nats_kv", bucket: options.bucket, ...commonWith(options) },
    format: "upsert",
  };
}

function commonWith(options: SinkCommon): Record<string, string> {
  const w = connectionWith(options);
  const key = options.primaryKey;
  if (key !== undefined) w.primary_key = typeof key === "string" ? key : key.join(",");
  if (options.maxInFlight !== undefined) w.max_in_flight = String(options.maxInFlight);
  return w;
}

function fromOf(from: SinkFrom): SinkSpec["from"] {
  return typeof from === "string" ? { kind: "relation", name: from } : { kind: "query", query: from };
}
