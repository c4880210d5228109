import { NATS_OPTION_KEYS, resolveNatsOptions } from "@jetflow/connector-nats";
import { nkey } from "@jetflow/test-harness";
import { describe, expect, it } from "vitest";
import { PIPELINE_WITH_KEYS, splitWithOptions } from "../bad-message-policy.js";
import { type NatsOptions, nats } from "./nats.js";

const seed = nkey().client.nkeySeed as string;
const base = { servers: "nats://127.0.0.1:4222", subject: "shop.orders", stream: "shop" } as const;

/** Validates the map the way a relation does: jetflow's keys out, the rest through the connector's validator. */
const validate = (options: NatsOptions) => {
  const { connector, policy } = splitWithOptions(nats(options));
  return { config: resolveNatsOptions(connector), policy };
};

// Each variant sets options that cannot all be given together; together they cover every option.
const variants: Record<string, NatsOptions> = {
  everything: {
    ...base,
    servers: ["nats-1:4222", "nats-2:4222"],
    subject: ["shop.orders", "shop.refunds"],
    connectMode: "user_and_password",
    username: "app",
    password: "s3cret",
    tls: { caFile: "/etc/ca.pem", certFile: "/etc/cert.pem", keyFile: "/etc/key.pem" },
    startup: { mode: "timestamp", millis: 1_700_000_000_000 },
    consumer: {
      durableName: "orders_view",
      name: "orders_view",
      description: "jetflow orders",
      ackPolicy: "explicit",
      ackWaitSec: 60,
      maxAckPending: 1000,
      maxDeliver: 5,
      maxBatch: 500,
      maxBytes: 1_000_000,
      maxWaiting: 16,
      maxExpiresSec: 30,
      inactiveThresholdSec: 600,
      replayPolicy: "instant",
      sampleFrequency: 50,
      headersOnly: false,
      numReplicas: 1,
      memoryStorage: false,
      backoffSec: [1, 5, 30],
    },
    allowCreateStream: true,
    streamLimits: {
      maxBytes: 1e9,
      maxMessages: 1e6,
      maxMessagesPerSubject: 100,
      maxConsumers: 10,
      maxMessageSize: 1e5,
    },
    badMessages: { policy: "dead_letter", deadLetterSubject: "shop.bad" },
  },
  token: { ...base, connectMode: "token", token: "t0ken", startup: { mode: "sequence", sequence: 42 } },
  seed: { ...base, connectMode: "credential", jwt: "eyJ.x.y", nkey: seed, startup: { mode: "latest" } },
  creds: { ...base, connectMode: "credential", credentialsFile: "/etc/user.creds", badMessages: { policy: "fail" } },
  plain: { ...base, startup: { mode: "earliest" }, badMessages: { policy: "skip" } },
};

describe("nats()", () => {
  it("gives the WITH map the DDL gives", () => {
    expect(
      nats({
        ...base,
        connectMode: "user_and_password",
        username: "app",
        password: "pw",
        startup: { mode: "timestamp", millis: 1700000000000 },
        consumer: { durableName: "d", backoffSec: [1, 2] },
      }),
    ).toEqual({
      connector: "nats",
      server_url: "nats://127.0.0.1:4222",
      subject: "shop.orders",
      stream: "shop",
      connect_mode: "user_and_password",
      username: "app",
      password: "pw",
      "scan.startup.mode": "timestamp_millis",
      "scan.startup.timestamp.millis": "1700000000000",
      "consumer.durable_name": "d",
      "consumer.backoff.sec": "1,2",
    });
    expect(nats(base)).toEqual({ connector: "nats", ...baseWith, connect_mode: "plain" });
  });

  it.each(Object.entries(variants))("%s: the connector's validator accepts the map", (_name, options) => {
    expect(() => validate(options)).not.toThrow();
  });

  it("reads back as the options given", () => {
    const { config, policy } = validate(variants["everything"] as NatsOptions);
    expect(config.servers).toEqual(["nats://nats-1:4222", "nats://nats-2:4222"]);
    expect(config.subjects).toEqual(["shop.orders", "shop.refunds"]);
    expect(config.startup).toEqual({ mode: "timestamp", millis: 1_700_000_000_000 });
    expect(config.tls).toEqual({
      required: true,
      caFile: "/etc/ca.pem",
      certFile: "/etc/cert.pem",
      keyFile: "/etc/key.pem",
    });
    expect(config.consumer).toMatchObject({ ack_policy: "explicit", ack_wait_sec: 60, backoff_sec: [1, 5, 30] });
    expect(config.createStream.max_messages_per_subject).toBe(100);
    expect(policy).toEqual({ kind: "dead_letter", subject: "shop.bad" });
    expect(validate(variants["token"] as NatsOptions).config.startup).toEqual({ mode: "sequence", sequence: 42 });
    expect(validate(variants["seed"] as NatsOptions).config.startup).toEqual({ mode: "latest" });
  });

  it("spells every WITH option the connector and the pipeline accept (aliases aside)", () => {
    const aliases = ["scan.startup.timestamp_millis", "consumer.num.replicas"];
    const produced = new Set(Object.values(variants).flatMap((v) => Object.keys(nats(v))));
    const accepted = [...NATS_OPTION_KEYS, ...PIPELINE_WITH_KEYS].filter((k) => !aliases.includes(k));
    expect(accepted.filter((k) => !produced.has(k))).toEqual([]);
    expect([...produced].filter((k) => !accepted.includes(k))).toEqual([]);
  });

  it("types credentials per connect mode (tsc refuses the mismatch; the validator would too)", () => {
    // @ts-expect-error a username needs connectMode "user_and_password"
    expect(() => validate({ ...base, username: "app" })).toThrow(/username is only used with connect_mode/);
    // @ts-expect-error token mode takes no username
    expect(() => validate({ ...base, connectMode: "token", token: "t", username: "app" })).toThrow(/username/);
    // @ts-expect-error user_and_password needs a password
    expect(() => validate({ ...base, connectMode: "user_and_password", username: "app" })).toThrow(/password/);
  });

  it("leaves checking to the validator, whose errors name the WITH key", () => {
    expect(() => validate({ ...base, consumer: { ackWaitSec: 1.5, ackPolicy: "all" } })).toThrow(
      /consumer\.ack_wait\.sec/,
    );
    expect(() => validate({ ...base, streamLimits: { maxBytes: 10 } })).toThrow(/allow_create_stream/);
  });
});

const baseWith = { server_url: base.servers, subject: base.subject, stream: base.stream };
