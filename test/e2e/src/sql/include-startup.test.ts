import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsonLines, runCli } from "../cli-process.js";
import { microsOf } from "./canonical.js";
import { type RawMessage, addStream, publishRaw } from "./publish.js";

/**
 * INCLUDE metadata columns and every scan.startup.mode, through the CLI's JSON Lines, checked
 * against what the server stored (sequence, subject, headers, time) for each message.
 */

const INCLUDES = `INCLUDE subject
INCLUDE offset AS off
INCLUDE partition AS part
INCLUDE payload AS raw
INCLUDE header 'trace-id' AS trace
INCLUDE header AS hdrs
INCLUDE timestamp AS ts
INCLUDE sequence AS seq`;

function tableSql(url: string, delivery: Record<string, string>): string {
  const extra = Object.entries(delivery)
    .map(([k, v]) => `, ${k} = '${v}'`)
    .join("");
  return `CREATE TABLE events (id int PRIMARY KEY, kind varchar)
${INCLUDES}
WITH (connector = 'nats', server_url = '${url}', subject = 'ev.a,ev.b', stream = 'ev', connect_mode = 'plain'${extra})
FORMAT PLAIN ENCODE JSON;
`;
}

/** What the server stored for one message. */
interface Stored {
  readonly seq: number;
  readonly subject: string;
  readonly payload: string;
  readonly headers: Record<string, string[]> | null;
  readonly timeMicros: string;
  readonly millis: number;
}

function message(i: number): RawMessage {
  const headers: Record<string, string | string[]> | undefined =
    i % 4 === 0
      ? undefined // no headers at all: the header columns are NULL
      : i % 4 === 1
        ? { "trace-id": `t-${i}` }
        : i % 4 === 2
          ? { "Trace-Id": `T-${i}`, "x-multi": ["a", "b"] } // the keyed header matches ignoring ASCII case
          : { "x-other": "v" };
  return {
    subject: i % 3 === 0 ? "ev.b" : "ev.a",
    payload: JSON.stringify({ id: i, kind: i % 2 === 0 ? "even" : "odd", ünïcode: "é" }),
    ...(headers === undefined ? {} : { headers }),
  };
}

describe("INCLUDE metadata columns and startup modes, through the CLI", () => {
  let server: NatsServer;
  let dir: string;
  const stored: Stored[] = [];

  beforeAll(async () => {
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-include-"));
    await addStream({ servers: server.url }, "ev", ["ev.>"]);
    const messages = Array.from({ length: 40 }, (_, i) => message(i));
    await publishRaw({ servers: server.url }, "ev", messages.slice(0, 20));
    await new Promise((r) => setTimeout(r, 30)); // the halves do not share a millisecond
    await publishRaw({ servers: server.url }, "ev", messages.slice(20));
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    for (let seq = 1; seq <= 40; seq++) {
      const m = await jsm.streams.getMessage("ev", { seq });
      if (m === null) throw new Error(`message ${seq} missing`);
      const headers: Record<string, string[]> = {};
      for (const [k, v] of m.header ?? []) headers[k] = v;
      stored.push({
        seq,
        subject: m.subject,
        payload: new TextDecoder().decode(m.data),
        headers: Object.keys(headers).length === 0 ? null : headers, // no headers: NULL, not {}
        timeMicros: microsOf(m.timestamp),
        millis: Math.floor(Date.parse(m.timestamp)),
      });
    }
    await nc.close();
  });

  afterAll(async () => {
    await server?.dispose();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function print(name: string, delivery: Record<string, string>): Promise<Record<string, unknown>[]> {
    const file = path.join(dir, `${name}.sql`);
    fs.writeFileSync(file, tableSql(server.url, delivery));
    const r = await runCli(["run", file, "--until-caught-up", "--print", "events"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    return parseJsonLines(r.stdout);
  }

  /** The row jetflow must print for a stored message. */
  function expected(s: Stored): Record<string, unknown> {
    const body = JSON.parse(s.payload) as { id: number; kind: string };
    const trace = s.headers === null ? null : (s.headers["trace-id"] ?? s.headers["Trace-Id"] ?? [null])[0];
    return {
      id: body.id,
      kind: body.kind,
      _rw_nats_subject: s.subject,
      off: String(s.seq),
      part: s.subject,
      raw: `\\x${Buffer.from(s.payload).toString("hex")}`,
      trace,
      hdrs: s.headers,
      ts: s.timeMicros,
      seq: s.seq,
    };
  }

  const comparable = (rows: Record<string, unknown>[]) =>
    rows.map((r) => ({ ...r, ts: typeof r["ts"] === "string" ? microsOf(r["ts"]) : r["ts"] }));

  it("earliest (the default): every message, each INCLUDE column as the server stored it", async () => {
    const rows = await print("earliest", {});
    expect(Object.keys(rows[0] ?? {})).toEqual([
      "id",
      "kind",
      "_rw_nats_subject",
      "off",
      "part",
      "raw",
      "trace",
      "hdrs",
      "ts",
      "seq",
    ]);
    const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => (a["id"] as number) - (b["id"] as number);
    expect(comparable(rows).sort(byId)).toEqual(stored.map(expected).sort(byId));
    // The forms of the contract: offset is text, sequence a number, the timestamp ISO-8601 UTC.
    expect(rows[0]?.["ts"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(\d{3})?Z$/);
  });

  it("latest: caught up at once, nothing printed, exit 0", async () => {
    expect(await print("latest", { "scan.startup.mode": "latest" })).toEqual([]);
  });

  it("timestamp_millis: the first row is exactly the first message stored at or after that millisecond", async () => {
    const first = stored[20] as Stored;
    const rows = await print("timestamp", {
      "scan.startup.mode": "timestamp_millis",
      "scan.startup.timestamp_millis": String(first.millis),
    });
    expect(rows.map((r) => r["seq"]).sort((a, b) => (a as number) - (b as number))).toEqual(
      stored.slice(20).map((s) => s.seq),
    );
  });

  it("timestamp (RisingWave's alias) with scan.startup.timestamp.millis: the same start", async () => {
    const first = stored[20] as Stored;
    const rows = await print("timestamp-alias", {
      "scan.startup.mode": "timestamp",
      "scan.startup.timestamp.millis": String(first.millis),
    });
    expect(Math.min(...rows.map((r) => r["seq"] as number))).toBe(first.seq);
    expect(rows).toHaveLength(20);
  });

  it("sequence: from that stream sequence on, over both subjects", async () => {
    const rows = await print("sequence", { "scan.startup.mode": "sequence", "scan.startup.sequence": "33" });
    expect(rows.map((r) => r["seq"]).sort((a, b) => (a as number) - (b as number))).toEqual([
      33, 34, 35, 36, 37, 38, 39, 40,
    ]);
    expect(new Set(rows.map((r) => r["part"]))).toEqual(new Set(["ev.a", "ev.b"]));
  });
});
