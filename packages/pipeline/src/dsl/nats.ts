import type { AckPolicy } from "@jetflow/connector-nats";

/**
 * How the connection authenticates: `connect_mode` and its partners, one typed shape per mode.
 * `plain` (no credentials) is the default.
 * @example nats({ servers, subject, stream, connectMode: "token", token: process.env.NATS_TOKEN ?? "" })
 */
export type NatsAuth =
  | {
      readonly connectMode?: "plain";
      // No credentials without a connect mode that uses them: a type error, not a runtime one.
      readonly username?: never;
      readonly password?: never;
      readonly token?: never;
      readonly nkey?: never;
      readonly jwt?: never;
      readonly credentialsFile?: never;
    }
  | { readonly connectMode: "user_and_password"; readonly username: string; readonly password: string }
  | { readonly connectMode: "token"; readonly token: string }
  /** The user's NKey seed, with the user JWT when the server uses decentralized auth. */
  | { readonly connectMode: "credential"; readonly nkey: string; readonly jwt?: string }
  /** A `.creds` file holding the JWT and the seed. */
  | { readonly connectMode: "credential"; readonly credentialsFile: string };

/**
 * Where consumers start when no checkpointed offset says otherwise (`scan.startup.*`). @default earliest
 * @example nats({ servers, subject, stream, startup: { mode: "sequence", sequence: 1000 } })
 */
export type NatsStartup =
  | { readonly mode: "earliest" }
  | { readonly mode: "latest" }
  /** The first message stored at or after `millis` (UNIX time in milliseconds). */
  | { readonly mode: "timestamp"; readonly millis: number }
  /** The message with stream sequence `sequence` and after. */
  | { readonly mode: "sequence"; readonly sequence: number };

/**
 * `tls.*`: any of them (or a `tls://` server URL) makes TLS required.
 * @example nats({ servers: "tls://nats:4222", subject, stream, tls: { caFile: "/etc/nats/ca.pem" } })
 */
export interface NatsTls {
  /** `tls.ca_file`: PEM CA bundle to verify the server. @default the system CAs */
  readonly caFile?: string;
  /** `tls.cert_file`: PEM client certificate (mutual TLS); needs `keyFile`. */
  readonly certFile?: string;
  /** `tls.key_file`: the client certificate's PEM key. */
  readonly keyFile?: string;
}

/**
 * `consumer.*`: the JetStream consumer settings. Unset fields keep the connector's or server's default.
 * @example nats({ servers, subject, stream, consumer: { durableName: "orders_view", maxAckPending: 10_000 } })
 */
export interface NatsConsumer {
  /** `consumer.durable_name`: a durable consumer, acked after each checkpoint. @default ephemeral */
  readonly durableName?: string;
  /** `consumer.name`: name of the ephemeral consumer (equal to `durableName` if both are given). */
  readonly name?: string;
  /** `consumer.description`. */
  readonly description?: string;
  /** `consumer.ack_policy`. @default "all" when durable, else "none" */
  readonly ackPolicy?: AckPolicy;
  /** `consumer.ack_wait.sec`. @default 300 when acking */
  readonly ackWaitSec?: number;
  /** `consumer.max_ack_pending` (-1: unlimited). @default -1 when acking */
  readonly maxAckPending?: number;
  /** `consumer.max_deliver` (-1: unlimited). @default the server's */
  readonly maxDeliver?: number;
  /** `consumer.max_batch`: the largest pull the consumer accepts. @default unlimited */
  readonly maxBatch?: number;
  /** `consumer.max_bytes`: the largest pull in bytes. @default unlimited */
  readonly maxBytes?: number;
  /** `consumer.max_waiting`: outstanding pull requests allowed. @default the server's (512) */
  readonly maxWaiting?: number;
  /** `consumer.max_expires.sec`: the longest pull request. @default unlimited */
  readonly maxExpiresSec?: number;
  /** `consumer.inactive_threshold.sec`. @default 300 for ephemeral consumers */
  readonly inactiveThresholdSec?: number;
  /** `consumer.replay_policy`. @default "instant" */
  readonly replayPolicy?: "instant" | "original";
  /** `consumer.sample_frequency`: percent of acks sampled for advisories (0 to 100). */
  readonly sampleFrequency?: number;
  /** `consumer.headers_only`: deliver headers without bodies. @default false */
  readonly headersOnly?: boolean;
  /** `consumer.num_replicas` (0 to 5). @default the stream's */
  readonly numReplicas?: number;
  /** `consumer.memory_storage`. @default true for ephemeral consumers, false for durable ones */
  readonly memoryStorage?: boolean;
  /** `consumer.backoff.sec`: redelivery delays in seconds; needs `maxDeliver` above its length. */
  readonly backoffSec?: readonly number[];
}

/**
 * The stream created by `allowCreateStream` when it does not exist (-1: unlimited).
 * @example nats({ servers, subject, stream, allowCreateStream: true, streamLimits: { maxBytes: 1e9 } })
 */
export interface NatsStreamLimits {
  /** `max_bytes`. @default -1 */
  readonly maxBytes?: number;
  /** `max_messages`. @default -1 */
  readonly maxMessages?: number;
  /** `max_messages_per_subject`. @default -1 */
  readonly maxMessagesPerSubject?: number;
  /** `max_consumers`. @default -1 */
  readonly maxConsumers?: number;
  /** `max_message_size`. @default -1 (the server's max_payload) */
  readonly maxMessageSize?: number;
}

/**
 * What happens to a message that does not decode (`bad_message.*`). @default skip
 * @example nats({ servers, subject, stream, badMessages: { policy: "dead_letter", deadLetterSubject: "shop.bad" } })
 */
export type NatsBadMessages =
  | { readonly policy: "skip" }
  | { readonly policy: "fail" }
  /** Publish the raw payload to `deadLetterSubject` with headers saying why, and go on. */
  | { readonly policy: "dead_letter"; readonly deadLetterSubject: string };

/**
 * Everything a NATS source or table is configured with, one typed spelling per WITH option.
 * @example const options: NatsOptions = { servers: ["nats-1:4222", "nats-2:4222"], subject: "orders.*", stream: "ORDERS" };
 */
export type NatsOptions = NatsAuth & {
  /** `server_url`: one or more `host:port` or `nats://` / `tls://` URLs. */
  readonly servers: string | readonly string[];
  /** `subject`: one or more subject filters (wildcards allowed, no overlaps). */
  readonly subject: string | readonly string[];
  /** `stream`: the JetStream stream holding the subjects. */
  readonly stream: string;
  readonly tls?: NatsTls;
  readonly startup?: NatsStartup;
  readonly consumer?: NatsConsumer;
  /** `allow_create_stream`: create the stream when it does not exist. @default false */
  readonly allowCreateStream?: boolean;
  /** Limits of the stream `allowCreateStream` creates. */
  readonly streamLimits?: NatsStreamLimits;
  readonly badMessages?: NatsBadMessages;
};

/**
 * The WITH options of a source or table, keys as in DDL (`server_url`, `scan.startup.mode`, ...).
 * @example const w: WithOptions = nats({ servers, subject, stream }); // { connector: "nats", server_url: ..., ... }
 */
export type WithOptions = Readonly<Record<string, string>>;

type Scalar = string | number | boolean | readonly number[] | readonly string[] | undefined;

const CONSUMER_KEYS: Readonly<Record<keyof NatsConsumer, string>> = {
  durableName: "consumer.durable_name",
  name: "consumer.name",
  description: "consumer.description",
  ackPolicy: "consumer.ack_policy",
  ackWaitSec: "consumer.ack_wait.sec",
  maxAckPending: "consumer.max_ack_pending",
  maxDeliver: "consumer.max_deliver",
  maxBatch: "consumer.max_batch",
  maxBytes: "consumer.max_bytes",
  maxWaiting: "consumer.max_waiting",
  maxExpiresSec: "consumer.max_expires.sec",
  inactiveThresholdSec: "consumer.inactive_threshold.sec",
  replayPolicy: "consumer.replay_policy",
  sampleFrequency: "consumer.sample_frequency",
  headersOnly: "consumer.headers_only",
  numReplicas: "consumer.num_replicas",
  memoryStorage: "consumer.memory_storage",
  backoffSec: "consumer.backoff.sec",
};

const STREAM_LIMIT_KEYS: Readonly<Record<keyof NatsStreamLimits, string>> = {
  maxBytes: "max_bytes",
  maxMessages: "max_messages",
  maxMessagesPerSubject: "max_messages_per_subject",
  maxConsumers: "max_consumers",
  maxMessageSize: "max_message_size",
};

const TLS_KEYS: Readonly<Record<keyof NatsTls, string>> = {
  caFile: "tls.ca_file",
  certFile: "tls.cert_file",
  keyFile: "tls.key_file",
};

const AUTH_KEYS: Readonly<Record<string, string>> = {
  username: "username",
  password: "password",
  token: "token",
  nkey: "nkey",
  jwt: "jwt",
  credentialsFile: "credentials_file",
};

/**
 * The WITH options of a NATS source or table, from typed options: the same map
 * `WITH (connector = 'nats', ...)` gives in SQL, so the connector's one validator
 * (`resolveNatsOptions`, run when the relation is defined) checks both, and its errors name
 * the WITH key (`consumer.ack_wait.sec`, ...) of the option at fault.
 *
 * @example
 * ```ts
 * pipeline().table("orders", {
 *   columns: { id: "int", amount: "double" },
 *   primaryKey: "id",
 *   with: nats({
 *     servers: "nats://127.0.0.1:4222", subject: "shop.orders", stream: "shop",
 *     connectMode: "user_and_password", username: "app", password: process.env.NATS_PASSWORD ?? "",
 *     startup: { mode: "timestamp", millis: Date.now() - 3_600_000 },
 *     consumer: { durableName: "orders_view" },
 *     badMessages: { policy: "dead_letter", deadLetterSubject: "shop.bad" },
 *   }),
 * });
 * ```
 */
export function nats(options: NatsOptions): WithOptions {
  const out: Record<string, string> = {};
  const put = putter(out);
  put("connector", "nats");
  put("subject", options.subject);
  put("stream", options.stream);
  Object.assign(out, connectionWith(options));
  putStartup(put, options.startup);
  putAll(put, options.consumer, CONSUMER_KEYS);
  put("allow_create_stream", options.allowCreateStream);
  Object.assign(out, streamLimitsWith(options.streamLimits));
  const bad = options.badMessages;
  if (bad !== undefined) {
    put("bad_message.policy", bad.policy);
    if (bad.policy === "dead_letter") put("bad_message.dead_letter_subject", bad.deadLetterSubject);
  }
  return out;
}

/** How a connection is given: servers, `connect_mode` and its credentials, `tls.*` (sources and sinks alike). */
export type NatsConnect = NatsAuth & {
  /** `server_url`: one or more `host:port` or `nats://` / `tls://` URLs. */
  readonly servers: string | readonly string[];
  readonly tls?: NatsTls;
};

/** The WITH options of a connection (`server_url`, `connect_mode`, credentials, `tls.*`). */
export function connectionWith(options: NatsConnect): Record<string, string> {
  const out: Record<string, string> = {};
  const put = putter(out);
  put("server_url", options.servers);
  put("connect_mode", options.connectMode ?? "plain");
  const fields = options as unknown as Readonly<Record<string, Scalar>>;
  for (const [field, key] of Object.entries(AUTH_KEYS)) put(key, fields[field]);
  putAll(put, options.tls, TLS_KEYS);
  return out;
}

/** The WITH options of the limits of a stream `allow_create_stream` creates (`max_bytes`, ...). */
export function streamLimitsWith(limits: NatsStreamLimits | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  putAll(putter(out), limits, STREAM_LIMIT_KEYS);
  return out;
}

function putter(out: Record<string, string>): (key: string, value: Scalar) => void {
  return (key, value) => {
    if (value === undefined) return;
    out[key] = typeof value === "object" ? value.join(",") : String(value);
  };
}

function putAll<T extends object>(
  put: (key: string, value: Scalar) => void,
  values: T | undefined,
  keys: Readonly<Record<keyof T, string>>,
): void {
  if (values === undefined) return;
  for (const [field, key] of Object.entries(keys) as [keyof T & string, string][]) {
    put(key, (values as Readonly<Record<string, Scalar>>)[field]);
  }
}

function putStartup(put: (key: string, value: Scalar) => void, startup: NatsStartup | undefined): void {
  if (startup === undefined) return;
  switch (startup.mode) {
    case "timestamp":
      put("scan.startup.mode", "timestamp_millis");
      put("scan.startup.timestamp.millis", startup.millis);
      return;
    case "sequence":
      put("scan.startup.mode", "sequence");
      put("scan.startup.sequence", startup.sequence);
      return;
    default:
      put("scan.startup.mode", startup.mode);
  }
}
