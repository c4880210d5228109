import { inspect } from "node:util";
import { ErrorCode, InvalidOptionError } from "@jetflow/core";
import { createUser } from "@nats-io/nkeys";
import { describe, expect, it } from "vitest";
import { NATS_OPTION_KEYS } from "./config.js";
import { resolveNatsOptions } from "./resolve-options.js";

const base = {
  connector: "nats",
  server_url: "localhost:4222",
  subject: "orders.*",
  stream: "ORDERS",
  connect_mode: "plain",
} as const;

const seed = new TextDecoder().decode(createUser().getSeed());

function resolve(extra: Record<string, string | undefined> = {}) {
  const o: Record<string, string> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete o[k];
    else o[k] = v;
  }
  return resolveNatsOptions(o);
}

/** Expects an InvalidOptionError for `option` whose message contains every fragment. */
function expectError(extra: Record<string, string | undefined>, option: string, ...fragments: string[]) {
  let caught: unknown;
  try {
    resolve(extra);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InvalidOptionError);
  const err = caught as InvalidOptionError;
  expect(err.code).toBe(ErrorCode.InvalidOption);
  expect(err.option).toBe(option);
  expect(err.message).toContain(option);
  for (const f of fragments) expect(err.message).toContain(f);
}

describe("resolveNatsOptions: defaults", () => {
  it("fills the documented defaults", () => {
    const c = resolve();
    expect(c.servers).toEqual(["nats://localhost:4222"]);
    expect(c.subjects).toEqual(["orders.*"]);
    expect(c.stream).toBe("ORDERS");
    expect(c.connectMode).toBe("plain");
    expect(c.startup).toEqual({ mode: "earliest" });
    expect(c.durableName).toBeUndefined();
    expect(c.consumer).toEqual({ ack_policy: "none", inactive_threshold_sec: 300, memory_storage: true });
    expect(c.allowCreateStream).toBe(false);
    expect(c.createStream).toEqual({
      max_bytes: -1,
      max_messages: -1,
      max_messages_per_subject: -1,
      max_consumers: -1,
      max_message_size: -1,
    });
    expect(c.tls).toEqual({ required: false });
  });

  it("defaults a durable consumer to ack policy all, acked after checkpoints, without ack-pending limit", () => {
    const c = resolve({ "consumer.durable_name": "orders_reader" });
    expect(c.durableName).toBe("orders_reader");
    expect(c.consumer).toEqual({ ack_policy: "all", ack_wait_sec: 300, max_ack_pending: -1, memory_storage: false });
  });

  it("lists every accepted key", () => {
    expect(NATS_OPTION_KEYS).toContain("scan.startup.timestamp_millis");
    expect(new Set(NATS_OPTION_KEYS).size).toBe(NATS_OPTION_KEYS.length);
  });
});

describe("resolveNatsOptions: every option", () => {
  it("server_url: comma list of host:port, nats:// and tls:// (tls:// requires TLS)", () => {
    const c = resolve({ server_url: "a:4222, nats://b:5222,tls://c:6222,d" });
    expect(c.servers).toEqual(["nats://a:4222", "nats://b:5222", "tls://c:6222", "nats://d:4222"]);
    expect(c.tls.required).toBe(true);
  });

  it("subject: comma list with wildcards", () => {
    expect(resolve({ subject: "a.*, b.>,c" }).subjects).toEqual(["a.*", "b.>", "c"]);
  });

  it("connect_mode user_and_password with username and password", () => {
    const c = resolve({ connect_mode: "user_and_password", username: "u", password: "p w" });
    expect([c.connectMode, c.username, c.password]).toEqual(["user_and_password", "u", "p w"]);
  });

  it("connect_mode credential with jwt and nkey, nkey alone, or credentials_file", () => {
    const c = resolve({ connect_mode: "credential", jwt: "eyJ.x.y", nkey: seed });
    expect([c.connectMode, c.jwt, c.nkey]).toEqual(["credential", "eyJ.x.y", seed]);
    expect(resolve({ connect_mode: "credential", nkey: seed }).jwt).toBeUndefined();
    expect(resolve({ connect_mode: "credential", credentials_file: "/x/u.creds" }).credentialsFile).toBe("/x/u.creds");
  });

  it("connect_mode token", () => {
    expect(resolve({ connect_mode: "token", token: "t0k" }).token).toBe("t0k");
  });

  it("tls.ca_file, tls.cert_file and tls.key_file make TLS required", () => {
    const c = resolve({ "tls.ca_file": "/ca.pem", "tls.cert_file": "/c.pem", "tls.key_file": "/k.pem" });
    expect(c.tls).toEqual({ required: true, caFile: "/ca.pem", certFile: "/c.pem", keyFile: "/k.pem" });
  });

  it("scan.startup.mode earliest, latest, timestamp_millis/timestamp (+ either millis key), sequence", () => {
    expect(resolve({ "scan.startup.mode": "earliest" }).startup).toEqual({ mode: "earliest" });
    expect(resolve({ "scan.startup.mode": "LATEST" }).startup).toEqual({ mode: "latest" });
    const ts = { mode: "timestamp", millis: 1700000000000 };
    expect(
      resolve({ "scan.startup.mode": "timestamp_millis", "scan.startup.timestamp.millis": "1700000000000" }).startup,
    ).toEqual(ts);
    expect(
      resolve({ "scan.startup.mode": "timestamp", "scan.startup.timestamp_millis": "1700000000000" }).startup,
    ).toEqual(ts);
    expect(resolve({ "scan.startup.mode": "sequence", "scan.startup.sequence": "42" }).startup).toEqual({
      mode: "sequence",
      sequence: 42,
    });
  });

  it("infers the startup mode from a lone timestamp or sequence", () => {
    expect(resolve({ "scan.startup.timestamp.millis": "5" }).startup).toEqual({ mode: "timestamp", millis: 5 });
    expect(resolve({ "scan.startup.sequence": "7" }).startup).toEqual({ mode: "sequence", sequence: 7 });
  });

  it("every consumer.* option", () => {
    const c = resolve({
      "consumer.durable_name": "d1",
      "consumer.name": "d1",
      "consumer.description": "orders reader",
      "consumer.ack_policy": "explicit",
      "consumer.ack_wait.sec": "10",
      "consumer.max_ack_pending": "5000",
      "consumer.max_deliver": "5",
      "consumer.max_batch": "500",
      "consumer.max_bytes": "1048576",
      "consumer.max_waiting": "16",
      "consumer.max_expires.sec": "20",
      "consumer.inactive_threshold.sec": "60",
      "consumer.replay_policy": "original",
      "consumer.sample_frequency": "50",
      "consumer.headers_only": "false",
      "consumer.num.replicas": "1",
      "consumer.memory_storage": "true",
      "consumer.backoff.sec": "1, 2,3",
    });
    expect(c.consumer).toEqual({
      ack_policy: "explicit",
      ack_wait_sec: 10,
      max_ack_pending: 5000,
      max_deliver: 5,
      max_batch: 500,
      max_bytes: 1048576,
      max_waiting: 16,
      max_expires_sec: 20,
      inactive_threshold_sec: 60,
      name: "d1",
      description: "orders reader",
      replay_policy: "original",
      sample_frequency: 50,
      headers_only: false,
      num_replicas: 1,
      memory_storage: true,
      backoff_sec: [1, 2, 3],
    });
    expect(resolve({ "consumer.num_replicas": "3" }).consumer.num_replicas).toBe(3);
    expect(resolve({ "consumer.name": "mine" }).consumer.name).toBe("mine");
  });

  it("allow_create_stream with the created stream's limits", () => {
    const c = resolve({
      allow_create_stream: "TRUE",
      max_bytes: "1000000",
      max_messages: "10",
      max_messages_per_subject: "2",
      max_consumers: "3",
      max_message_size: "4096",
    });
    expect(c.allowCreateStream).toBe(true);
    expect(c.createStream).toEqual({
      max_bytes: 1000000,
      max_messages: 10,
      max_messages_per_subject: 2,
      max_consumers: 3,
      max_message_size: 4096,
    });
  });

  it("keys are case-insensitive and trimmed", () => {
    expect(resolveNatsOptions({ ...base, " Scan.Startup.Mode ": "latest" }).startup).toEqual({ mode: "latest" });
  });
});

describe("resolveNatsOptions: secrets", () => {
  it("never prints password, token, jwt or nkey, even after a spread copy", () => {
    const secrets = [
      { connect_mode: "user_and_password", username: "u", password: "hunter2-secret" },
      { connect_mode: "token", token: "tok-secret-123" },
      { connect_mode: "credential", jwt: "eyJ.jwt-secret", nkey: seed },
    ];
    for (const s of secrets) {
      const c = resolve(s);
      const values = Object.entries(s)
        .filter(([k]) => k !== "connect_mode" && k !== "username")
        .map(([, v]) => v);
      for (const text of [JSON.stringify(c), inspect(c, { depth: 5 }), JSON.stringify({ ...c }), inspect({ ...c })]) {
        for (const v of values) expect(text).not.toContain(v);
        expect(text).toContain("***");
      }
    }
  });
});

describe("resolveNatsOptions: errors name the option and the accepted values", () => {
  it("unknown key, with a suggestion and the accepted keys", () => {
    expectError(
      { "scan.startup.mod": "latest" },
      "scan.startup.mod",
      "unknown option",
      "did you mean 'scan.startup.mode'",
      "server_url",
    );
    expectError({ foo: "1" }, "foo", "unknown option 'foo'", "accepted options:", "consumer.durable_name");
  });

  it("RisingWave keys that do not apply to pull consumers say why", () => {
    expectError({ "consumer.deliver_subject": "x" }, "consumer.deliver_subject", "not supported", "pull consumers");
    expectError({ "consumer.deliver_policy": "all" }, "consumer.deliver_policy", "scan.startup.mode");
    expectError({ "consumer.filter_subject": "a" }, "consumer.filter_subject", "subject");
    expectError({ "consumer.filter_subjects": "a,b" }, "consumer.filter_subjects", "subject");
    expectError({ "consumer.rate_limit": "10" }, "consumer.rate_limit", "push consumers");
  });

  it("missing required options", () => {
    for (const key of ["connector", "server_url", "subject", "stream"]) {
      expectError({ [key]: undefined }, key, "is required");
    }
    expectError(
      { connect_mode: undefined },
      "connect_mode",
      "is required",
      "'plain', 'user_and_password', 'credential' or 'token'",
    );
    expectError({ subject: "  " }, "subject", "is required");
  });

  it("connector must be nats", () => {
    expectError({ connector: "kafka" }, "connector", "must be 'nats'", "kafka");
  });

  it("bad server_url entries", () => {
    expectError({ server_url: "ws://a:80" }, "server_url", "'ws://'", "'host:port'");
    expectError({ server_url: "a:4222,,b" }, "server_url", "without empty entries");
    expectError({ server_url: "a:99999" }, "server_url", "not a server address");
    expectError({ server_url: "nats://a:1/path" }, "server_url", "not a server address");
    let msg = "";
    try {
      resolve({ server_url: "nats://bob:pa55word@a:4222" });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain("carries credentials");
    expect(msg).not.toContain("pa55word");
  });

  it("bad subjects and overlapping subject filters", () => {
    expectError({ subject: "a..b" }, "subject", "empty token");
    expectError({ subject: "a.>.b" }, "subject", "'>' before the last token");
    expectError({ subject: "a.b*" }, "subject", "whole tokens");
    expectError({ subject: "a b" }, "subject", "whitespace");
    expectError({ subject: "a.*,a.b" }, "subject", "'a.*' and 'a.b' overlap");
    expectError({ subject: "a.>,a.b.c" }, "subject", "overlap");
    expectError({ subject: "a.b,a.b" }, "subject", "twice");
  });

  it("each stream naming rule, named in the message", () => {
    expectError({ stream: "my stream" }, "stream", "must not contain spaces");
    expectError({ stream: "my\tstream" }, "stream", "must not contain tabs");
    expectError({ stream: "my.stream" }, "stream", "must not contain periods (.)");
    expectError({ stream: "my>stream" }, "stream", "must not contain greater than (>)");
    expectError({ stream: "my*stream" }, "stream", "must not contain asterisks (*)");
    expectError({ stream: "my/stream" }, "stream", "path separators");
    expectError({ stream: "my\\stream" }, "stream", "path separators");
    expectError({ stream: "x".repeat(33) }, "stream", "at most 32 characters", "it has 33");
    expectError({ stream: "NUL" }, "stream", "reserved file name like NUL or LPT1");
    expectError({ stream: "lpt1" }, "stream", "reserved file name");
    expectError({ stream: "añb" }, "stream", "alphanumeric");
    expectError({ stream: "a.b c" }, "stream", "periods", "spaces");
    expect(resolve({ stream: "orders_v2-eu" }).stream).toBe("orders_v2-eu");
    expect(resolve({ stream: "x".repeat(32) }).stream).toHaveLength(32);
  });

  it("bad connect_mode and auth options without their partner or mode", () => {
    expectError({ connect_mode: "oauth" }, "connect_mode", "'plain', 'user_and_password', 'credential' or 'token'");
    expectError({ connect_mode: "user_and_password", username: "u" }, "password", "required", "user_and_password");
    expectError({ connect_mode: "user_and_password", password: "p" }, "username", "required");
    expectError({ connect_mode: "credential" }, "nkey", "jwt and nkey", "credentials_file");
    expectError({ connect_mode: "credential", jwt: "eyJ.x" }, "nkey", "required");
    expectError({ connect_mode: "credential", jwt: "eyJ", nkey: "UABC" }, "nkey", "NKey seed");
    expectError({ connect_mode: "credential", credentials_file: "/f", jwt: "x" }, "jwt", "exclusive");
    expectError({ connect_mode: "token" }, "token", "required");
    expectError({ password: "p" }, "password", "only used with connect_mode = 'user_and_password'", "'plain'");
    expectError({ token: "t" }, "token", "only used with connect_mode = 'token'");
    expectError({ connect_mode: "token", token: "t", jwt: "j" }, "jwt", "'credential'");
  });

  it("TLS client certificate without its key and vice versa", () => {
    expectError({ "tls.cert_file": "/c.pem" }, "tls.key_file", "required with tls.cert_file");
    expectError({ "tls.key_file": "/k.pem" }, "tls.cert_file", "required with tls.key_file");
    expectError({ "tls.ca_file": " " }, "tls.ca_file", "file path");
  });

  it("startup options: mode values, missing partner, conflicts, numbers", () => {
    expectError(
      { "scan.startup.mode": "beginning" },
      "scan.startup.mode",
      "'earliest', 'latest', 'timestamp_millis', 'timestamp' or 'sequence'",
    );
    expectError(
      { "scan.startup.mode": "timestamp_millis" },
      "scan.startup.timestamp.millis",
      "required",
      "milliseconds",
    );
    expectError({ "scan.startup.mode": "sequence" }, "scan.startup.sequence", "required");
    expectError(
      { "scan.startup.mode": "latest", "scan.startup.timestamp.millis": "5" },
      "scan.startup.timestamp.millis",
      "only used with scan.startup.mode = 'timestamp_millis'",
    );
    expectError(
      { "scan.startup.mode": "earliest", "scan.startup.sequence": "5" },
      "scan.startup.sequence",
      "only used",
    );
    expectError(
      { "scan.startup.timestamp.millis": "5", "scan.startup.timestamp_millis": "5" },
      "scan.startup.timestamp_millis",
      "both given",
    );
    expectError(
      { "scan.startup.timestamp.millis": "5", "scan.startup.sequence": "5" },
      "scan.startup.sequence",
      "exclusive",
    );
    expectError({ "scan.startup.timestamp.millis": "1.5" }, "scan.startup.timestamp.millis", "whole number", "'1.5'");
    expectError({ "scan.startup.timestamp.millis": "-1" }, "scan.startup.timestamp.millis", "at least 0");
    expectError({ "scan.startup.sequence": "0" }, "scan.startup.sequence", "at least 1");
    expectError({ "scan.startup.sequence": "1e3" }, "scan.startup.sequence", "whole number");
  });

  it("consumer options: values, ranges and combinations", () => {
    expectError({ "consumer.ack_policy": "some" }, "consumer.ack_policy", "'none', 'all' or 'explicit'");
    expectError({ "consumer.ack_wait.sec": "0" }, "consumer.ack_wait.sec", "needs consumer.ack_policy");
    expectError({ "consumer.ack_policy": "all", "consumer.ack_wait.sec": "0" }, "consumer.ack_wait.sec", "at least 1");
    expectError(
      { "consumer.ack_policy": "all", "consumer.max_ack_pending": "0" },
      "consumer.max_ack_pending",
      "-1 (unlimited) or a whole number of at least 1",
    );
    expectError({ "consumer.ack_policy": "all", "consumer.max_deliver": "x" }, "consumer.max_deliver", "whole number");
    expectError({ "consumer.max_batch": "0" }, "consumer.max_batch", "at least 1");
    expectError({ "consumer.max_bytes": "-5" }, "consumer.max_bytes", "at least 1");
    expectError({ "consumer.max_waiting": "0" }, "consumer.max_waiting", "at least 1");
    expectError({ "consumer.max_expires.sec": "0" }, "consumer.max_expires.sec", "at least 1");
    expectError({ "consumer.inactive_threshold.sec": "0" }, "consumer.inactive_threshold.sec", "at least 1");
    expectError({ "consumer.replay_policy": "fast" }, "consumer.replay_policy", "'instant' or 'original'");
    expectError({ "consumer.sample_frequency": "101" }, "consumer.sample_frequency", "at most 100");
    expectError({ "consumer.headers_only": "yes" }, "consumer.headers_only", "'true' or 'false'");
    expectError({ "consumer.num_replicas": "6" }, "consumer.num_replicas", "at most 5");
    expectError({ "consumer.num_replicas": "1", "consumer.num.replicas": "1" }, "consumer.num.replicas", "both given");
    expectError({ "consumer.memory_storage": "1" }, "consumer.memory_storage", "'true' or 'false'");
    expectError(
      { "consumer.ack_policy": "all", "consumer.backoff.sec": "1,2" },
      "consumer.backoff.sec",
      "consumer.max_deliver greater than",
    );
    expectError(
      { "consumer.ack_policy": "all", "consumer.backoff.sec": "1,2", "consumer.max_deliver": "2" },
      "consumer.backoff.sec",
      "2 entries",
    );
    expectError({ "consumer.durable_name": "a.b" }, "consumer.durable_name", "periods");
    expectError({ "consumer.name": "a b" }, "consumer.name", "spaces");
    expectError(
      { "consumer.durable_name": "a", "consumer.name": "b" },
      "consumer.name",
      "must equal consumer.durable_name",
    );
  });

  it("created-stream options need allow_create_stream", () => {
    for (const key of ["max_bytes", "max_messages", "max_messages_per_subject", "max_consumers", "max_message_size"]) {
      expectError({ [key]: "10" }, key, "allow_create_stream");
      expectError({ allow_create_stream: "true", [key]: "0" }, key, "-1 (unlimited)");
    }
    expectError({ allow_create_stream: "yes" }, "allow_create_stream", "'true' or 'false'");
  });
});
