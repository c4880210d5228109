import { inspect } from "node:util";

/** The WITH keys of the connection (servers, auth, TLS): the same for a source and a sink. */
export const NATS_CONNECTION_KEYS: readonly string[] = [
  "server_url",
  "connect_mode",
  "username",
  "password",
  "jwt",
  "nkey",
  "token",
  "credentials_file",
  "tls.ca_file",
  "tls.cert_file",
  "tls.key_file",
];

/** The WITH keys of the stream created by `allow_create_stream` (RisingWave's set). */
export const NATS_CREATE_STREAM_KEYS: readonly string[] = [
  "max_bytes",
  "max_messages",
  "max_messages_per_subject",
  "max_consumers",
  "max_message_size",
];

/**
 * Every WITH key the NATS connector accepts: RisingWave's (NatsCommon, NatsProperties,
 * NatsPropertiesConsumer) and jetflow's own (`token`, `credentials_file`, `tls.*`,
 * `scan.startup.sequence`). Anything else is an error.
 */
export const NATS_OPTION_KEYS: readonly string[] = [
  "connector",
  ...NATS_CONNECTION_KEYS,
  "subject",
  "stream",
  "scan.startup.mode",
  "scan.startup.timestamp.millis",
  "scan.startup.timestamp_millis",
  "scan.startup.sequence",
  "consumer.durable_name",
  "consumer.name",
  "consumer.description",
  "consumer.ack_policy",
  "consumer.ack_wait.sec",
  "consumer.max_ack_pending",
  "consumer.max_deliver",
  "consumer.max_batch",
  "consumer.max_bytes",
  "consumer.max_waiting",
  "consumer.max_expires.sec",
  "consumer.inactive_threshold.sec",
  "consumer.replay_policy",
  "consumer.sample_frequency",
  "consumer.headers_only",
  "consumer.num_replicas",
  "consumer.num.replicas",
  "consumer.memory_storage",
  "consumer.backoff.sec",
  "allow_create_stream",
  ...NATS_CREATE_STREAM_KEYS,
];

/** How the connection authenticates (`connect_mode`). `token` is jetflow's addition. */
export type ConnectMode = "plain" | "user_and_password" | "credential" | "token";

/** Where consumers start when no checkpointed offset says otherwise (`scan.startup.*`). */
export type StartupMode =
  | { readonly mode: "earliest" }
  | { readonly mode: "latest" }
  | { readonly mode: "timestamp"; readonly millis: number }
  | { readonly mode: "sequence"; readonly sequence: number };

export type AckPolicy = "none" | "all" | "explicit";

/**
 * Consumer settings (`consumer.*`), named as in the JetStream consumer config; durations in
 * seconds (the `_sec` fields). Unset fields use the server's default.
 */
export interface NatsConsumerOptions {
  /** `consumer.ack_policy`. @default "all" with `consumer.durable_name` (acked after checkpoints), else "none" */
  readonly ack_policy: AckPolicy;
  /**
   * `consumer.ack_wait.sec`. Acks follow checkpoints, so a short wait would redeliver messages
   * that are merely waiting for one. @default 300 when ack_policy is not none
   */
  readonly ack_wait_sec?: number;
  /** `consumer.max_ack_pending`. @default -1 (unlimited) when ack_policy is not none: a limit would stall delivery between checkpoints */
  readonly max_ack_pending?: number;
  /** `consumer.max_deliver`. @default server default (unlimited) */
  readonly max_deliver?: number;
  /** `consumer.max_batch`: the largest pull the consumer accepts; pulls are capped to it. @default unlimited */
  readonly max_batch?: number;
  /** `consumer.max_bytes`: the largest pull in bytes the consumer accepts. @default unlimited */
  readonly max_bytes?: number;
  /** `consumer.max_waiting`: outstanding pull requests allowed. @default server default (512) */
  readonly max_waiting?: number;
  /** `consumer.max_expires.sec`: the longest pull request; pulls are capped to it. @default unlimited */
  readonly max_expires_sec?: number;
  /** `consumer.inactive_threshold.sec`. @default 300 for ephemeral consumers, none for durable ones */
  readonly inactive_threshold_sec?: number;
  /** `consumer.name`: name of the ephemeral consumer (suffixed per subject when there are several). @default generated */
  readonly name?: string;
  /** `consumer.description`. */
  readonly description?: string;
  /** `consumer.replay_policy`. @default "instant" */
  readonly replay_policy?: "instant" | "original";
  /** `consumer.sample_frequency` (percent of acks sampled for advisories). */
  readonly sample_frequency?: number;
  /** `consumer.headers_only`: deliver headers without bodies. @default false */
  readonly headers_only?: boolean;
  /** `consumer.num_replicas` (alias `consumer.num.replicas`). @default the stream's */
  readonly num_replicas?: number;
  /** `consumer.memory_storage`. @default true for ephemeral consumers (recreated when lost), false for durable ones */
  readonly memory_storage?: boolean;
  /** `consumer.backoff.sec`: redelivery delays; needs `consumer.max_deliver` above its length. */
  readonly backoff_sec?: readonly number[];
}

/** Settings of the stream created when `allow_create_stream` is true (RisingWave's set). */
export interface NatsCreateStreamOptions {
  /** `max_bytes`. @default -1 (unlimited; RisingWave uses 1000000) */
  readonly max_bytes: number;
  /** `max_messages`. @default -1 (unlimited) */
  readonly max_messages: number;
  /** `max_messages_per_subject`. @default -1 (unlimited) */
  readonly max_messages_per_subject: number;
  /** `max_consumers`. @default -1 (unlimited) */
  readonly max_consumers: number;
  /** `max_message_size`. @default -1 (the server's max_payload) */
  readonly max_message_size: number;
}

/** TLS settings: `tls://` URLs or any `tls.*` key make TLS required. */
export interface NatsTlsOptions {
  readonly required: boolean;
  /** `tls.ca_file`: PEM CA bundle to verify the server. @default the system CAs */
  readonly caFile?: string;
  /** `tls.cert_file`: PEM client certificate (mutual TLS); needs `tls.key_file`. */
  readonly certFile?: string;
  /** `tls.key_file`: PEM client key; needs `tls.cert_file`. */
  readonly keyFile?: string;
}

/**
 * Validated, defaulted connector config, from {@link resolveNatsOptions}. Secrets (`password`,
 * `token`, `jwt`, `nkey`) are kept for connecting but `JSON.stringify` and `util.inspect`
 * (console.log) print them as `"***"`; that survives `{ ...config }` copies.
 *
 * @example
 * ```ts
 * const config = resolveNatsOptions({ connector: "nats", server_url: "localhost:4222",
 *   subject: "orders.>", stream: "ORDERS", connect_mode: "plain" });
 * console.log(config); // secrets shown as ***
 * ```
 */
export interface NatsSourceConfig {
  /** `server_url`, normalized to `nats://host:port` / `tls://host:port`. */
  readonly servers: readonly string[];
  /** `subject`: one consumer per subject, each keyed by it. */
  readonly subjects: readonly string[];
  readonly stream: string;
  readonly connectMode: ConnectMode;
  readonly username?: string;
  readonly password?: string;
  /** User JWT (credential mode). */
  readonly jwt?: string;
  /** The user's NKey seed (credential mode; alone it is plain NKey auth). */
  readonly nkey?: string;
  readonly token?: string;
  /** `credentials_file`: a `.creds` file with JWT and seed (credential mode). */
  readonly credentialsFile?: string;
  readonly tls: NatsTlsOptions;
  /** @default { mode: "earliest" } */
  readonly startup: StartupMode;
  /** `consumer.durable_name`: one durable consumer per subject, acked after checkpoints. */
  readonly durableName?: string;
  readonly consumer: NatsConsumerOptions;
  /** `allow_create_stream`. @default false */
  readonly allowCreateStream: boolean;
  readonly createStream: NatsCreateStreamOptions;
  /** JSON without secrets. */
  toJSON(): Record<string, unknown>;
}

const SECRET_FIELDS = ["password", "token", "jwt", "nkey"] as const;

function redacted(this: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(this)) {
    if (typeof v === "function") continue;
    out[k] = (SECRET_FIELDS as readonly string[]).includes(k) && v !== undefined ? "***" : v;
  }
  return out;
}

function inspectRedacted(this: Record<string, unknown>, depth: number, options: object): string {
  return `NatsSourceConfig ${inspect(redacted.call(this), { ...options, depth })}`;
}

/** Adds the redacting `toJSON` and `util.inspect` hooks (enumerable, so spreads keep them). */
export function withRedaction<T extends object>(config: T): T & { toJSON(): Record<string, unknown> } {
  return Object.assign(config, { toJSON: redacted, [inspect.custom]: inspectRedacted });
}

/** The secret values of a config, to scrub from any message built from a server's error text. */
export function secretsOf(config: Partial<Pick<NatsSourceConfig, (typeof SECRET_FIELDS)[number]>>): string[] {
  const out: string[] = [];
  for (const k of SECRET_FIELDS) {
    const v = config[k];
    if (typeof v === "string" && v.length > 0) out.push(v);
  }
  return out;
}
