import {
  closestKey,
  NATS_CONNECTION_KEYS,
  NATS_CREATE_STREAM_KEYS,
  type NatsConnectConfig,
  type NatsCreateStreamOptions,
  readBool,
  readInt,
  readList,
  resolveNatsOptions,
} from "@jetflow/connector-nats";
import { InvalidOptionError } from "@jetflow/core";
import { parseSubjectTemplate, type SubjectTemplate } from "./subject-template.js";

/** `FORMAT PLAIN | UPSERT | DEBEZIUM ENCODE JSON`. */
export type SinkFormat = "plain" | "upsert" | "debezium";

/** Where a sink writes: a JetStream stream (`connector = 'nats'`) or a KV bucket (`connector = 'nats_kv'`). */
export type SinkTarget =
  | {
      readonly kind: "stream";
      /** `subject`, possibly with `{column}` parts filled from each row. */
      readonly subject: SubjectTemplate;
      /** `allow_create_stream`: create the stream when no stream captures the subject. @default false */
      readonly allowCreateStream: boolean;
      /** `stream`: the name of the stream created by `allow_create_stream`. @default the sink name in upper case */
      readonly stream: string | undefined;
      readonly createStream: NatsCreateStreamOptions;
    }
  | { readonly kind: "kv"; readonly bucket: string };

/**
 * A validated sink definition, from {@link resolveSinkOptions}. The connection carries the
 * same redaction as a source config: secrets print as `***`.
 */
export interface SinkConfig {
  readonly connection: NatsConnectConfig;
  readonly target: SinkTarget;
  readonly format: SinkFormat;
  /** `force_append_only`: FORMAT PLAIN over a relation that retracts drops the retractions. @default false */
  readonly forceAppendOnly: boolean;
  /** `primary_key = 'a,b'`; undefined: the relation's own key. */
  readonly primaryKey: readonly string[] | undefined;
  /** `max_in_flight`: publishes awaiting their ack at most. @default 4096 */
  readonly maxInFlight: number;
}

/** Keys of the connection, shared with the source and handed to its resolver. */
const CONNECTION_KEYS = NATS_CONNECTION_KEYS;
const STREAM_LIMIT_KEYS = NATS_CREATE_STREAM_KEYS;
const COMMON_KEYS = ["connector", ...CONNECTION_KEYS, "type", "force_append_only", "primary_key", "max_in_flight"];

/**
 * Every WITH key a sink accepts, per connector: RisingWave's NATS sink options (`server_url`,
 * `subject`, `connect_mode` and its credentials, `type`, `force_append_only`, `primary_key`,
 * `allow_create_stream` with the created stream's limits) and jetflow's (`token`,
 * `credentials_file`, `tls.*`, `stream`, `max_in_flight`, `bucket` for `nats_kv`).
 */
export const SINK_OPTION_KEYS: Readonly<Record<"nats" | "nats_kv", readonly string[]>> = {
  nats: [...COMMON_KEYS, "subject", "allow_create_stream", "stream", ...STREAM_LIMIT_KEYS],
  nats_kv: [...COMMON_KEYS, "bucket"],
};

const TYPES: Readonly<Record<string, SinkFormat>> = { "append-only": "plain", upsert: "upsert", debezium: "debezium" };
const BUCKET = /^[-\w]+$/;

/**
 * Validates a sink's WITH options and format. `format` is the FORMAT clause, or undefined when
 * the statement has none (then `type` says it, as in RisingWave's NATS sink). Errors are
 * `InvalidOptionError`s naming the option and what it accepts; unknown keys are refused.
 *
 * @example
 * ```ts
 * const config = resolveSinkOptions(
 *   { connector: "nats", server_url: "localhost:4222", subject: "totals", connect_mode: "plain" },
 *   "upsert",
 * );
 * ```
 */
export function resolveSinkOptions(withOptions: Readonly<Record<string, string>>, format?: SinkFormat): SinkConfig {
  const o = new Map<string, string>();
  for (const [raw, value] of Object.entries(withOptions)) o.set(raw.trim().toLowerCase(), value);
  const connectorRaw = o.get("connector");
  if (connectorRaw === undefined) {
    throw new InvalidOptionError(
      "connector",
      "connector is required for a sink: 'nats' (a stream) or 'nats_kv' (a KV bucket)",
    );
  }
  const connector = connectorRaw.trim().toLowerCase();
  if (connector !== "nats" && connector !== "nats_kv") {
    throw new InvalidOptionError(
      "connector",
      `connector must be 'nats' or 'nats_kv' for a sink, got '${connectorRaw}'`,
    );
  }
  const accepted = SINK_OPTION_KEYS[connector];
  for (const key of o.keys()) {
    if (accepted.includes(key)) continue;
    const hint = closestKey(key, accepted);
    throw new InvalidOptionError(
      key,
      `unknown option '${key}' for a sink with connector '${connector}'${hint === undefined ? "" : ` (did you mean '${hint}'?)`}; ` +
        `accepted options: ${accepted.join(", ")}`,
    );
  }
  const resolvedFormat = readFormat(o, format, connector);
  // The source's resolver validates the connection (and the created stream's limits): the same
  // rules and messages, one implementation. Its subject and stream are placeholders here.
  const source = resolveNatsOptions({
    connector: "nats",
    subject: "jetflow.sink",
    stream: o.get("stream") ?? "JETFLOW_SINK",
    ...Object.fromEntries(
      [...o].filter(
        ([k]) => CONNECTION_KEYS.includes(k) || STREAM_LIMIT_KEYS.includes(k) || k === "allow_create_stream",
      ),
    ),
  });
  const connection = source;
  const forceAppendOnly =
    o.has("force_append_only") && readBool("force_append_only", o.get("force_append_only") as string);
  if (forceAppendOnly && resolvedFormat !== "plain") {
    throw new InvalidOptionError(
      "force_append_only",
      "force_append_only applies to FORMAT PLAIN (type = 'append-only') only",
    );
  }
  const primaryKey = o.has("primary_key") ? readList("primary_key", o.get("primary_key") as string) : undefined;
  const maxInFlight = o.has("max_in_flight")
    ? readInt("max_in_flight", o.get("max_in_flight") as string, { min: 1 })
    : 4096;
  let target: SinkTarget;
  if (connector === "nats_kv") {
    const bucket = required(o, "bucket", connector).trim();
    if (!BUCKET.test(bucket)) {
      throw new InvalidOptionError("bucket", `bucket '${bucket}' must consist of letters, digits, '-' and '_'`);
    }
    if (resolvedFormat !== "upsert") {
      throw new InvalidOptionError("connector", "connector 'nats_kv' writes FORMAT UPSERT ENCODE JSON (a key per row)");
    }
    target = { kind: "kv", bucket };
  } else {
    if (o.has("stream") && !source.allowCreateStream) {
      throw new InvalidOptionError(
        "stream",
        "stream names the stream created by allow_create_stream; set allow_create_stream = 'true' or remove stream",
      );
    }
    target = {
      kind: "stream",
      subject: parseSubjectTemplate(required(o, "subject", connector)),
      allowCreateStream: source.allowCreateStream,
      stream: o.get("stream")?.trim(),
      createStream: source.createStream,
    };
  }
  return { connection, target, format: resolvedFormat, forceAppendOnly, primaryKey, maxInFlight };
}

function readFormat(o: ReadonlyMap<string, string>, format: SinkFormat | undefined, connector: string): SinkFormat {
  const typeRaw = o.get("type");
  const type = typeRaw === undefined ? undefined : TYPES[typeRaw.trim().toLowerCase()];
  if (typeRaw !== undefined && type === undefined) {
    throw new InvalidOptionError("type", `type must be 'append-only', 'upsert' or 'debezium', got '${typeRaw}'`);
  }
  if (format !== undefined && type !== undefined && type !== format) {
    throw new InvalidOptionError("type", `type = '${typeRaw}' contradicts FORMAT ${format.toUpperCase()}`);
  }
  const resolved = format ?? type ?? (connector === "nats_kv" ? "upsert" : undefined);
  if (resolved === undefined) {
    throw new InvalidOptionError(
      "type",
      "a sink needs FORMAT PLAIN | UPSERT | DEBEZIUM ENCODE JSON, or type = 'append-only' | 'upsert'",
    );
  }
  return resolved;
}

function required(o: ReadonlyMap<string, string>, key: string, connector: string): string {
  const v = o.get(key);
  if (v === undefined || v.trim() === "")
    throw new InvalidOptionError(key, `${key} is required for a sink with connector '${connector}'`);
  return v;
}
