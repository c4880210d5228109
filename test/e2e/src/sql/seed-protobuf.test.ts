import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsonLines, runCli } from "../cli-process.js";
import { ReferenceSql } from "../reference-sql.js";
import { canonicalRows, referenceOf } from "./canonical.js";
import { Rng } from "./dataset.js";
import { ProtoWriter, timestampMessage } from "./proto-wire.js";
import { addStream, publishRaw } from "./publish.js";

/**
 * The seed page's PROTOBUF example, verbatim but for the two addresses a test machine does not
 * have (`nats-server:4222` is replaced with `--server`, `file_server:8080` with a local HTTP
 * server): no column list, the columns come from the message served at schema.location.
 */

/** A plausible schema, after RisingWave's live-stream demo, plus an enum, a Timestamp, a repeated field and a double. */
const PROTO = `syntax = "proto3";

package livestream.schema;

import "google/protobuf/timestamp.proto";

enum Quality {
  QUALITY_UNSPECIFIED = 0;
  SD = 1;
  HD = 2;
  UHD = 3;
}

// One client's report for a live room.
message LiveStreamMetrics {
  string client_ip = 1;
  string user_agent = 2;
  string user_id = 3;
  // The live room.
  string room_id = 4;
  // Sent bits per second.
  int64 video_bps = 5;
  // Sent frames per second. Typically 30 fps.
  int64 video_fps = 6;
  // Round-trip time in milliseconds.
  int64 video_rtt = 7;
  // Lost packets per second.
  int64 video_lost_pps = 8;
  // How long was the longest freeze (in milliseconds).
  int64 video_longest_freeze_duration = 9;
  // Total freeze duration.
  int64 video_total_freeze_duration = 10;
  int64 report_timestamp = 11;
  string country = 12;
  Quality quality = 13;
  google.protobuf.Timestamp reported_at = 14;
  repeated string tags = 15;
  double jitter_ms = 16;
}
`;

const seedSql = (schemaUrl: string) => `CREATE TABLE live_stream_metrics
WITH (
  connector = 'nats',
  server_url = 'nats-server:4222',
  subject = 'live_stream_metrics',
  stream = 'risingwave',
  connect_mode = 'plain'
) FORMAT PLAIN ENCODE PROTOBUF(
  message = 'livestream.schema.LiveStreamMetrics',
  schema.location = '${schemaUrl}'
);
`;

const VIEW = `SELECT room_id, count(*) AS reports, avg(video_rtt) AS avg_rtt, max(video_bps) AS max_bps,
  sum(video_lost_pps) AS lost, min(reported_at) AS first_report, count(DISTINCT user_id) AS viewers,
  max(jitter_ms) AS jitter
  FROM live_stream_metrics WHERE quality <> 'SD' GROUP BY room_id`;

/** The columns PROTOBUF derives from the message (decoders README), as PostgreSQL DDL. */
const PG_COLUMNS = `client_ip text, user_agent text, user_id text, room_id text, video_bps bigint, video_fps bigint,
  video_rtt bigint, video_lost_pps bigint, video_longest_freeze_duration bigint, video_total_freeze_duration bigint,
  report_timestamp bigint, country text, quality text, reported_at timestamptz, tags text[], jitter_ms double precision`;

const QUALITIES = ["QUALITY_UNSPECIFIED", "SD", "HD", "UHD"];

interface Report {
  readonly bytes: Uint8Array;
  /** The row PostgreSQL gets: what the decoder must make of the bytes (proto3 defaults for absent fields). */
  readonly row: Record<string, unknown>;
}

function report(rng: Rng, i: number): Report {
  const w = new ProtoWriter();
  const int64 = (field: number, v: bigint) => {
    if (v !== 0n) w.varint(field, v); // proto3 leaves zero out; the decoder must read it as 0
    return v.toString();
  };
  const str = (field: number, v: string) => {
    if (v !== "") w.bytesField(field, v);
    return v;
  };
  const row: Record<string, unknown> = {
    client_ip: str(1, `10.0.${i % 7}.${i % 250}`),
    user_agent: str(2, rng.pick(["Mozilla/5.0", "OBS/30.1", "ffmpeg", ""])),
    user_id: str(3, `u${rng.int(1, 40)}`),
    room_id: str(4, `room-${rng.int(1, 6)}`),
    video_bps: int64(5, BigInt(rng.int(0, 8_000_000)) * (rng.chance(0.05) ? 2n ** 32n : 1n)),
    video_fps: int64(6, BigInt(rng.pick([0, 24, 30, 60]))),
    video_rtt: int64(7, BigInt(rng.chance(0.05) ? -1 : rng.int(1, 900))), // -1: ten-byte varint
    video_lost_pps: int64(8, BigInt(rng.int(0, 50))),
    video_longest_freeze_duration: int64(9, BigInt(rng.int(0, 3000))),
    video_total_freeze_duration: int64(10, BigInt(rng.int(0, 9000))),
    report_timestamp: int64(11, BigInt(1_709_251_200_000 + i * 1000)),
    country: str(12, rng.pick(["DE", "BR", "JP", "", "ÅLAND"])),
  };
  const q = rng.int(0, 3);
  if (q !== 0) w.varint(13, q);
  row["quality"] = QUALITIES[q];
  if (rng.chance(0.85)) {
    const seconds = 1_709_251_200 + i * 7;
    const nanos = rng.int(0, 999_999) * 1000 + rng.int(0, 999); // nanos below the microsecond are truncated
    w.bytesField(14, timestampMessage(seconds, nanos));
    const us = BigInt(seconds) * 1_000_000n + BigInt(Math.floor(nanos / 1000));
    row["reported_at"] =
      `${new Date(Number(us / 1000n)).toISOString().slice(0, -1)}${String(us % 1000n).padStart(3, "0")}Z`;
  } else row["reported_at"] = null;
  const tags = rng.sample(["mobile", "wifi", "5g", "beta", "tag,with comma"], rng.int(0, 3));
  for (const t of tags) w.bytesField(15, t);
  row["tags"] = `{${tags.map((t) => `"${t}"`).join(",")}}`;
  const jitter = rng.int(0, 4000) / 16;
  if (jitter !== 0) w.double(16, jitter);
  row["jitter_ms"] = jitter;
  return { bytes: w.finish(), row };
}

describe("the seed's PROTOBUF example: schema over HTTP, columns from the message", () => {
  let server: NatsServer;
  let schemaServer: http.Server;
  let schemaUrl: string;
  let schemaRequests = 0;
  let dir: string;
  let file: string;
  let db: ReferenceSql;
  const reports = Array.from({ length: 400 }, (_, i) => report(new Rng(1000 + i), i));

  beforeAll(async () => {
    schemaServer = http.createServer((req, res) => {
      schemaRequests++;
      if (req.url === "/schema") res.writeHead(200, { "content-type": "text/plain" }).end(PROTO);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => schemaServer.listen(0, "127.0.0.1", resolve));
    const address = schemaServer.address() as { port: number };
    schemaUrl = `http://127.0.0.1:${address.port}/schema`;

    server = await NatsServer.start();
    await addStream({ servers: server.url }, "risingwave", ["live_stream_metrics"]);
    await publishRaw(
      { servers: server.url },
      "risingwave",
      reports.map((r) => ({ subject: "live_stream_metrics", payload: r.bytes })),
    );
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-proto-"));
    file = path.join(dir, "seed.sql");
    fs.writeFileSync(file, `${seedSql(schemaUrl)}\nCREATE MATERIALIZED VIEW room_quality AS ${VIEW};\n`);

    db = await ReferenceSql.open();
    await db.exec(`CREATE TABLE live_stream_metrics (${PG_COLUMNS})`);
    await db.insert(
      "live_stream_metrics",
      Object.keys(reports[0]?.row ?? {}),
      reports.map((r) => r.row),
    );
    await db.exec(`CREATE VIEW room_quality AS ${VIEW}`);
  });

  afterAll(async () => {
    await db?.close();
    await server?.dispose();
    await new Promise((r) => schemaServer?.close(r));
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("prints the table: every message, its columns derived from the .proto in declaration order", async () => {
    const before = schemaRequests;
    const r = await runCli([
      "run",
      file,
      "--server",
      server.url,
      "--until-caught-up",
      "--print",
      "live_stream_metrics",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(schemaRequests).toBeGreaterThan(before);
    const expected = await referenceOf(db, "live_stream_metrics");
    const rows = parseJsonLines(r.stdout);
    expect(Object.keys(rows[0] ?? {})).toEqual(expected.columns.map((c) => c.name));
    expect(canonicalRows(rows, expected.columns)).toEqual(expected.rows);
    // Spot checks of the forms: enum by name, Timestamp as ISO-8601 UTC, repeated as an array.
    expect(rows.some((row) => row["quality"] === "QUALITY_UNSPECIFIED")).toBe(true);
    expect(rows.some((row) => row["video_rtt"] === -1)).toBe(true);
    expect(rows.find((row) => typeof row["reported_at"] === "string")?.["reported_at"]).toMatch(
      /^2024-03-01T\d\d:\d\d:\d\d\.\d{6}Z$/,
    );
  });

  it("a view over it equals PostgreSQL's answer over the same rows", async () => {
    const r = await runCli(["run", file, "--server", server.url, "--until-caught-up", "--print", "room_quality"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const expected = await referenceOf(db, "room_quality");
    const rows = parseJsonLines(r.stdout);
    expect(rows.length).toBeGreaterThan(0);
    expect(Object.keys(rows[0] ?? {})).toEqual(expected.columns.map((c) => c.name));
    expect(canonicalRows(rows, expected.columns)).toEqual(expected.rows);
  });

  it("a message the schema does not have is refused before anything is consumed, listing the ones it has", async () => {
    const bad = path.join(dir, "bad.sql");
    fs.writeFileSync(bad, seedSql(schemaUrl).replace("livestream.schema.LiveStreamMetrics", "livestream.schema.Nope"));
    const r = await runCli(["run", bad, "--server", server.url, "--until-caught-up"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/livestream\.schema\.Nope/);
    expect(r.stderr).toMatch(/livestream\.schema\.LiveStreamMetrics/);
  });

  it("a schema.location that cannot be fetched is one clear line naming it", async () => {
    const bad = path.join(dir, "missing.sql");
    fs.writeFileSync(bad, seedSql(schemaUrl.replace("/schema", "/nothing-here")));
    const r = await runCli(["run", bad, "--server", server.url, "--until-caught-up"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/nothing-here.*404|404.*nothing-here/);
  });
});
