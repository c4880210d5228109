import { InvalidOptionError } from "@jetflow/core/base";
import { fromSeed } from "@nats-io/nkeys";
import {
  type AckPolicy,
  type ConnectMode,
  NATS_CREATE_STREAM_KEYS,
  NATS_OPTION_KEYS,
  type NatsConsumerOptions,
  type NatsCreateStreamOptions,
  type NatsSourceConfig,
  type NatsTlsOptions,
  type StartupMode,
  withRedaction,
} from "./config.js";
import { closestKey, quoteList, readBool, readEnum, readInt, readList } from "./option-values.js";
import { parseServerUrls } from "./server-url.js";
import { consumerNameViolations, streamNameViolations } from "./stream-name.js";
import { subjectProblem, subjectsOverlap } from "./subjects.js";

const CONNECT_MODES: readonly ConnectMode[] = ["plain", "user_and_password", "credential", "token"];
const STARTUP_MODES = ["earliest", "latest", "timestamp_millis", "timestamp", "sequence"] as const;
const ACK_POLICIES: readonly AckPolicy[] = ["none", "all", "explicit"];

// RisingWave keys that make no sense for jetflow's pull consumers: refused with the reason.
const REFUSED: Readonly<Record<string, string>> = {
  "consumer.deliver_subject": "jetflow uses pull consumers, which have no deliver subject",
  "consumer.deliver_policy": "the start position is set by scan.startup.mode (and checkpointed offsets)",
  "consumer.filter_subject": "the consumers filter on `subject` (one consumer per subject)",
  "consumer.filter_subjects": "the consumers filter on `subject` (one consumer per subject)",
  "consumer.rate_limit": "rate limits apply to push consumers only; jetflow pulls as fast as the pipeline drains",
};

const AUTH_KEYS: Readonly<Record<string, readonly ConnectMode[]>> = {
  username: ["user_and_password"],
  password: ["user_and_password"],
  jwt: ["credential"],
  nkey: ["credential"],
  credentials_file: ["credential"],
  token: ["token"],
};

const CREATE_STREAM_KEYS = NATS_CREATE_STREAM_KEYS;

/** Largest millisecond timestamp a JS Date holds. */
const MAX_MILLIS = 8.64e15;

/**
 * Validates the WITH options of a NATS source or table (keys as written in DDL) and fills the
 * defaults. Every error is an `InvalidOptionError` whose `option` is the offending key and whose
 * message names it and the accepted values: unknown keys (with the list of accepted ones),
 * missing required keys, bad values, options missing their partner (`user_and_password` without
 * `password`, a timestamp start without `scan.startup.timestamp.millis`, ...), options that do
 * nothing with the others given, overlapping subjects and stream names breaking a NATS rule.
 *
 * @example
 * ```ts
 * const config = resolveNatsOptions({
 *   connector: "nats", server_url: "nats-1:4222,nats-2:4222", subject: "orders.*",
 *   stream: "ORDERS", connect_mode: "user_and_password", username: "app", password: "s3cret",
 *   "scan.startup.mode": "timestamp_millis", "scan.startup.timestamp.millis": "1700000000000",
 * });
 * ```
 */
export function resolveNatsOptions(withOptions: Readonly<Record<string, string>>): NatsSourceConfig {
  const o = new Map<string, string>();
  for (const [rawKey, value] of Object.entries(withOptions)) {
    const key = rawKey.trim().toLowerCase();
    if (typeof value !== "string") {
      throw new InvalidOptionError(key, `${key} must be given as a string, got ${typeof value}`);
    }
    const refused = REFUSED[key];
    if (refused !== undefined) throw new InvalidOptionError(key, `${key} is not supported: ${refused}`);
    if (!NATS_OPTION_KEYS.includes(key)) {
      const hint = closestKey(key, NATS_OPTION_KEYS);
      throw new InvalidOptionError(
        key,
        `unknown option '${rawKey}' for connector 'nats'${hint === undefined ? "" : ` (did you mean '${hint}'?)`}; ` +
          `accepted options: ${NATS_OPTION_KEYS.join(", ")}`,
      );
    }
    if (o.has(key)) throw new InvalidOptionError(key, `${key} is given twice`);
    o.set(key, value);
  }

  const connector = required(o, "connector");
  if (connector.trim().toLowerCase() !== "nats") {
    throw new InvalidOptionError("connector", `connector must be 'nats', got '${connector}'`);
  }
  const { servers, tls: tlsUrl } = parseServerUrls("server_url", readList("server_url", required(o, "server_url")));
  const subjects = readSubjects(required(o, "subject"));
  const stream = readStream(required(o, "stream"));
  const connectMode = readEnum("connect_mode", required(o, "connect_mode"), CONNECT_MODES);
  const auth = readAuth(o, connectMode);
  const tls = readTls(o, tlsUrl);
  const startup = readStartup(o);
  const durableName = optional(o, "consumer.durable_name", (v, k) => readConsumerName(k, v));
  const consumer = readConsumer(o, durableName);
  const allowCreateStream = optional(o, "allow_create_stream", (v, k) => readBool(k, v)) ?? false;
  const createStream = readCreateStream(o, allowCreateStream);

  return withRedaction({
    servers,
    subjects,
    stream,
    connectMode,
    ...auth,
    tls,
    startup,
    ...(durableName === undefined ? {} : { durableName }),
    consumer,
    allowCreateStream,
    createStream,
  });
}

function required(o: ReadonlyMap<string, string>, key: string): string {
  const v = o.get(key);
  if (v === undefined || v.trim() === "") {
    const accepted = key === "connect_mode" ? `: one of ${quoteList(CONNECT_MODES)}` : "";
    throw new InvalidOptionError(key, `${key} is required for connector 'nats'${accepted}`);
  }
  return v;
}

function optional<T>(o: ReadonlyMap<string, string>, key: string, read: (v: string, key: string) => T): T | undefined {
  const v = o.get(key);
  return v === undefined ? undefined : read(v, key);
}

function readSubjects(raw: string): string[] {
  const subjects = readList("subject", raw);
  for (const s of subjects) {
    const problem = subjectProblem(s);
    if (problem !== undefined) throw new InvalidOptionError("subject", `subject '${s}' ${problem}`);
  }
  for (let i = 0; i < subjects.length; i++) {
    for (let j = i + 1; j < subjects.length; j++) {
      const a = subjects[i]!;
      const b = subjects[j]!;
      if (subjectsOverlap(a, b)) {
        throw new InvalidOptionError(
          "subject",
          a === b
            ? `subject lists '${a}' twice`
            : `subject filters '${a}' and '${b}' overlap (a message could match both and be read twice); use disjoint filters`,
        );
      }
    }
  }
  return subjects;
}

function readStream(raw: string): string {
  const violations = streamNameViolations(raw);
  if (violations.length > 0) {
    throw new InvalidOptionError(
      "stream",
      `stream name '${raw}' breaks the NATS naming rules: it ${violations.join("; it ")}`,
    );
  }
  return raw;
}

function readConsumerName(key: string, raw: string): string {
  const violations = consumerNameViolations(raw);
  if (violations.length > 0) throw new InvalidOptionError(key, `${key} '${raw}' ${violations.join("; it ")}`);
  return raw;
}

type Auth = Pick<NatsSourceConfig, "username" | "password" | "jwt" | "nkey" | "token" | "credentialsFile">;

function readAuth(o: ReadonlyMap<string, string>, mode: ConnectMode): Auth {
  for (const [key, modes] of Object.entries(AUTH_KEYS)) {
    if (o.has(key) && !modes.includes(mode)) {
      throw new InvalidOptionError(
        key,
        `${key} is only used with connect_mode = ${quoteList(modes)}, but connect_mode is '${mode}'`,
      );
    }
  }
  const partner = (key: string, why: string): string => {
    const v = o.get(key);
    if (v === undefined || v === "") throw new InvalidOptionError(key, `${key} is required when ${why}`);
    return v;
  };
  switch (mode) {
    case "plain":
      return {};
    case "user_and_password":
      return {
        username: partner("username", "connect_mode is 'user_and_password'"),
        password: partner("password", "connect_mode is 'user_and_password'"),
      };
    case "token":
      return { token: partner("token", "connect_mode is 'token'") };
    case "credential": {
      const file = o.get("credentials_file");
      if (file !== undefined) {
        for (const k of ["jwt", "nkey"]) {
          if (o.has(k))
            throw new InvalidOptionError(
              k,
              `${k} and credentials_file are exclusive: give jwt + nkey, or a .creds file`,
            );
        }
        if (file.trim() === "")
          throw new InvalidOptionError("credentials_file", "credentials_file must be a file path");
        return { credentialsFile: file.trim() };
      }
      if (!o.has("jwt") && !o.has("nkey")) {
        throw new InvalidOptionError(
          "nkey",
          "connect_mode 'credential' needs jwt and nkey (the user's JWT and NKey seed), nkey alone, or credentials_file",
        );
      }
      const nkey = partner("nkey", "connect_mode is 'credential' (the seed that signs the server's challenge)");
      checkSeed(nkey.trim());
      const jwt = o.get("jwt");
      if (jwt !== undefined && jwt.trim() === "") throw new InvalidOptionError("jwt", "jwt must not be empty");
      return jwt === undefined ? { nkey: nkey.trim() } : { jwt: jwt.trim(), nkey: nkey.trim() };
    }
  }
}

function checkSeed(seed: string): void {
  try {
    fromSeed(new TextEncoder().encode(seed));
  } catch {
    // The value is a secret: the message describes it without quoting it.
    throw new InvalidOptionError(
      "nkey",
      "nkey must be the user's NKey seed (58 characters starting with 'SU'), not a public key or JWT",
    );
  }
}

function readTls(o: ReadonlyMap<string, string>, tlsUrl: boolean): NatsTlsOptions {
  const file = (key: string): string | undefined => {
    const v = o.get(key);
    if (v !== undefined && v.trim() === "") throw new InvalidOptionError(key, `${key} must be a file path`);
    return v?.trim();
  };
  const caFile = file("tls.ca_file");
  const certFile = file("tls.cert_file");
  const keyFile = file("tls.key_file");
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const missing = certFile === undefined ? "tls.cert_file" : "tls.key_file";
    const given = certFile === undefined ? "tls.key_file" : "tls.cert_file";
    throw new InvalidOptionError(missing, `${missing} is required with ${given} (a client certificate needs its key)`);
  }
  return {
    required: tlsUrl || caFile !== undefined || certFile !== undefined,
    ...(caFile === undefined ? {} : { caFile }),
    ...(certFile === undefined ? {} : { certFile }),
    ...(keyFile === undefined ? {} : { keyFile }),
  };
}

function readStartup(o: ReadonlyMap<string, string>): StartupMode {
  const dotted = o.get("scan.startup.timestamp.millis");
  const underscored = o.get("scan.startup.timestamp_millis");
  if (dotted !== undefined && underscored !== undefined) {
    throw new InvalidOptionError(
      "scan.startup.timestamp_millis",
      "scan.startup.timestamp.millis and its alias scan.startup.timestamp_millis are both given; keep one",
    );
  }
  const tsKey = dotted !== undefined ? "scan.startup.timestamp.millis" : "scan.startup.timestamp_millis";
  const tsRaw = dotted ?? underscored;
  const seqRaw = o.get("scan.startup.sequence");
  const modeRaw = o.get("scan.startup.mode");
  let mode: (typeof STARTUP_MODES)[number];
  if (modeRaw !== undefined) {
    mode = readEnum("scan.startup.mode", modeRaw, STARTUP_MODES);
  } else if (tsRaw !== undefined && seqRaw !== undefined) {
    throw new InvalidOptionError("scan.startup.sequence", `${tsKey} and scan.startup.sequence are exclusive`);
  } else {
    mode = tsRaw !== undefined ? "timestamp_millis" : seqRaw !== undefined ? "sequence" : "earliest";
  }
  const isTimestamp = mode === "timestamp_millis" || mode === "timestamp";
  if (tsRaw !== undefined && !isTimestamp) {
    throw new InvalidOptionError(
      tsKey,
      `${tsKey} is only used with scan.startup.mode = 'timestamp_millis', not '${mode}'`,
    );
  }
  if (seqRaw !== undefined && mode !== "sequence") {
    throw new InvalidOptionError(
      "scan.startup.sequence",
      `scan.startup.sequence is only used with scan.startup.mode = 'sequence', not '${mode}'`,
    );
  }
  if (isTimestamp) {
    if (tsRaw === undefined) {
      throw new InvalidOptionError(
        "scan.startup.timestamp.millis",
        `scan.startup.timestamp.millis is required when scan.startup.mode is '${mode}' (UNIX time in milliseconds)`,
      );
    }
    return { mode: "timestamp", millis: readInt(tsKey, tsRaw, { min: 0, max: MAX_MILLIS }) };
  }
  if (mode === "sequence") {
    if (seqRaw === undefined) {
      throw new InvalidOptionError(
        "scan.startup.sequence",
        "scan.startup.sequence is required when scan.startup.mode is 'sequence' (the first stream sequence to read)",
      );
    }
    return { mode: "sequence", sequence: readInt("scan.startup.sequence", seqRaw, { min: 1 }) };
  }
  return mode === "latest" ? { mode: "latest" } : { mode: "earliest" };
}

function readConsumer(o: ReadonlyMap<string, string>, durableName: string | undefined): NatsConsumerOptions {
  const durable = durableName !== undefined;
  const int = (key: string, min: number, forbidZero = false, max?: number) =>
    optional(o, key, (v, k) => readInt(k, v, { min, forbidZero, ...(max === undefined ? {} : { max }) }));
  const name = optional(o, "consumer.name", (v, k) => readConsumerName(k, v));
  if (name !== undefined && durable && name !== durableName) {
    throw new InvalidOptionError(
      "consumer.name",
      `consumer.name ('${name}') must equal consumer.durable_name ('${durableName}') when both are given`,
    );
  }
  const ackPolicy =
    optional(o, "consumer.ack_policy", (v, k) => readEnum(k, v, ACK_POLICIES)) ?? (durable ? "all" : "none");
  const acks = ackPolicy !== "none";
  for (const key of [
    "consumer.ack_wait.sec",
    "consumer.max_ack_pending",
    "consumer.max_deliver",
    "consumer.backoff.sec",
  ]) {
    if (!acks && o.has(key)) {
      throw new InvalidOptionError(key, `${key} needs consumer.ack_policy 'all' or 'explicit' (it is 'none')`);
    }
  }
  const replicasKey = o.has("consumer.num.replicas") ? "consumer.num.replicas" : "consumer.num_replicas";
  if (o.has("consumer.num.replicas") && o.has("consumer.num_replicas")) {
    throw new InvalidOptionError(
      replicasKey,
      "consumer.num_replicas and its alias consumer.num.replicas are both given; keep one",
    );
  }
  const maxDeliver = int("consumer.max_deliver", -1, true);
  const backoff = optional(o, "consumer.backoff.sec", (v, k) => readList(k, v).map((s) => readInt(k, s, { min: 1 })));
  if (backoff !== undefined && (maxDeliver === undefined || (maxDeliver !== -1 && maxDeliver <= backoff.length))) {
    throw new InvalidOptionError(
      "consumer.backoff.sec",
      `consumer.backoff.sec has ${backoff.length} entries and needs consumer.max_deliver greater than that`,
    );
  }
  const fields: Record<string, unknown> = {
    ack_policy: ackPolicy,
    ack_wait_sec: int("consumer.ack_wait.sec", 1) ?? (acks ? 300 : undefined),
    max_ack_pending: int("consumer.max_ack_pending", -1, true) ?? (acks ? -1 : undefined),
    max_deliver: maxDeliver,
    max_batch: int("consumer.max_batch", 1),
    max_bytes: int("consumer.max_bytes", 1),
    max_waiting: int("consumer.max_waiting", 1),
    max_expires_sec: int("consumer.max_expires.sec", 1),
    inactive_threshold_sec: int("consumer.inactive_threshold.sec", 1) ?? (durable ? undefined : 300),
    name,
    description: o.get("consumer.description"),
    replay_policy: optional(o, "consumer.replay_policy", (v, k) => readEnum(k, v, ["instant", "original"] as const)),
    sample_frequency: int("consumer.sample_frequency", 0, false, 100),
    headers_only: optional(o, "consumer.headers_only", (v, k) => readBool(k, v)),
    num_replicas: int(replicasKey, 0, false, 5),
    memory_storage: optional(o, "consumer.memory_storage", (v, k) => readBool(k, v)) ?? !durable,
    backoff_sec: backoff,
  };
  // exactOptionalPropertyTypes: leave unset fields out instead of holding undefined.
  for (const k of Object.keys(fields)) if (fields[k] === undefined) delete fields[k];
  return fields as unknown as NatsConsumerOptions;
}

function readCreateStream(o: ReadonlyMap<string, string>, allow: boolean): NatsCreateStreamOptions {
  for (const key of CREATE_STREAM_KEYS) {
    if (o.has(key) && !allow) {
      throw new InvalidOptionError(
        key,
        `${key} configures the stream created by allow_create_stream; set allow_create_stream = 'true' or remove ${key}`,
      );
    }
  }
  const limit = (key: string) => optional(o, key, (v, k) => readInt(k, v, { min: -1, forbidZero: true })) ?? -1;
  return {
    max_bytes: limit("max_bytes"),
    max_messages: limit("max_messages"),
    max_messages_per_subject: limit("max_messages_per_subject"),
    max_consumers: limit("max_consumers"),
    max_message_size: limit("max_message_size"),
  };
}
