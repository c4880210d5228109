import { resolveSinkOptions } from "@jetflow/sinks";
import { NatsServer, versionAtLeast } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { pipeline } from "../pipeline.js";
import type { PipelineStatus } from "../status.js";
import { jsonTable, readAll, seed } from "../test-support.js";
import { natsKvSink, natsSink } from "./sink-def.js";

describe("natsSink / natsKvSink: the WITH options of CREATE SINK", () => {
  it("spells every option as the DDL does, and the sink's validator accepts it", () => {
    const spec = natsSink("orders", {
      servers: ["nats-1:4222", "nats-2:4222"],
      connectMode: "user_and_password",
      username: "app",
      password: "secret",
      tls: { caFile: "/ca.pem" },
      subject: "out.{region}",
      format: "plain",
      forceAppendOnly: true,
      primaryKey: ["id", "region"],
      maxInFlight: 100,
      allowCreateStream: true,
      stream: "OUT",
      streamLimits: { maxMessages: 1000, maxBytes: 1 << 20 },
    });
    expect(spec).toEqual({
      from: { kind: "relation", name: "orders" },
      format: "plain",
      with: {
        connector: "nats",
        server_url: "nats-1:4222,nats-2:4222",
        connect_mode: "user_and_password",
        username: "app",
        password: "secret",
        "tls.ca_file": "/ca.pem",
        subject: "out.{region}",
        force_append_only: "true",
        primary_key: "id,region",
        max_in_flight: "100",
        allow_create_stream: "true",
        stream: "OUT",
        max_messages: "1000",
        max_bytes: "1048576",
      },
    });
    expect(resolveSinkOptions(spec.with, spec.format).target).toMatchObject({ kind: "stream", stream: "OUT" });
    const kv = natsKvSink("totals", { servers: "localhost:4222", bucket: "totals", primaryKey: "region" });
    expect(kv).toEqual({
      from: { kind: "relation", name: "totals" },
      format: "upsert",
      with: {
        connector: "nats_kv",
        bucket: "totals",
        server_url: "localhost:4222",
        connect_mode: "plain",
        primary_key: "region",
      },
    });
    expect(resolveSinkOptions(kv.with, kv.format).target).toEqual({ kind: "kv", bucket: "totals" });
  });
});

describe("a pipeline with DSL sinks, against a real server", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start();
    await seed(
      server.url,
      "ORDERS",
      "orders",
      Array.from({ length: 300 }, (_, i) => ({ id: i % 100, region: `r${i % 7}`, amount: i })),
    );
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("delivers to a stream and a KV bucket; status$ says so per sink; the counters match", async () => {
    const statuses: PipelineStatus[] = [];
    const p = pipeline()
      .table(
        "orders",
        jsonTable(server.url, "ORDERS", "orders", { id: "int", region: "varchar", amount: "int" }, ["id"]),
      )
      .sink(
        "orders_out",
        natsSink("orders", {
          servers: server.url,
          subject: "out.{region}",
          format: "upsert",
          allowCreateStream: true,
          stream: "ORDERS_OUT",
        }),
      )
      .sink("orders_kv", natsKvSink("orders", { servers: server.url, bucket: "orders_kv" }));
    p.status$.subscribe((s) => statuses.push(s));
    await p.start();
    await p.caughtUp();
    const sinkEvents = () => statuses.filter((s) => s.type === "sink");
    await vi.waitFor(
      () => expect(new Set(sinkEvents().map((s) => s.sink))).toEqual(new Set(["orders_out", "orders_kv"])),
      { timeout: 30_000, interval: 50 },
    );
    const delivered = (sink: string) =>
      sinkEvents()
        .filter((s) => s.sink === sink)
        .reduce((n, s) => n + s.delivery.messages, 0);
    const published = (sink: string) => p.metrics.value("jetflow_sink_published_total", `sink="${sink}"`);
    const atomic = versionAtLeast(server.version, 2, 12);
    for (const s of sinkEvents()) {
      expect(s.delivery.mode).toBe(s.sink === "orders_kv" ? "kv" : atomic ? "atomic" : "one_by_one");
    }
    await p.stop();

    const out = await readAll(server.url, "ORDERS_OUT");
    // Each epoch keeps the last write per key: at least the 100 keys, at most one message per row.
    expect(out.length).toBeGreaterThanOrEqual(100);
    expect(out.length).toBeLessThanOrEqual(300);
    expect(published("orders_out")).toBe(out.length);
    expect(delivered("orders_out")).toBe(out.length);
    expect(p.metrics.value("jetflow_sink_failed_total", 'sink="orders_out"')).toBe(0);
    expect(p.metrics.value("jetflow_sink_retried_total", 'sink="orders_out"')).toBe(0);
    expect(p.metrics.value("jetflow_sink_atomic_batches_total", 'sink="orders_out"') > 0).toBe(atomic);

    const nc = await connect({ servers: server.url });
    // The bucket's stream, read without a KV client: one subject per key, the last value the row.
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info("KV_orders_kv", { subjects_filter: ">" });
    expect(Object.keys(info.state.subjects ?? {})).toHaveLength(100);
    const row = await jsm.streams.getMessage("KV_orders_kv", { last_by_subj: "$KV.orders_kv.42" });
    expect(row?.json()).toEqual({ id: 42, region: "r4", amount: 242 });
    // Puts and deletes: the bucket's history holds one revision per published message.
    expect(published("orders_kv")).toBe(delivered("orders_kv"));
    expect(published("orders_kv")).toBeGreaterThanOrEqual(100);
    expect(p.metrics.value("jetflow_sink_atomic_batches_total", 'sink="orders_kv"')).toBe(0);
    await nc.close();
  });
});
