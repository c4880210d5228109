import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { freePort, NatsServer } from "@jetflow/test-harness";
import { type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsonLines, runCli } from "../cli-process.js";
import { sortRows } from "../reference-sql.js";
import { createStream } from "../workload.js";
import { killLiveClis, metricValue, scrape, startCli, waitForMetric } from "./support.js";

/**
 * Hostile input at a rate, mixed with good messages, through `jetflow run`: malformed JSON, wrong
 * types, out-of-range numbers, invalid UTF-8, empty payloads, 100k levels of nesting, truncated and
 * garbage protobuf, and good messages at the edges (a payload of exactly the server's max_payload,
 * 100k levels of nesting in a field nobody reads). The run keeps going, every good row arrives,
 * every bad message is counted (jetflow_decode_errors_total) and handled by its relation's policy:
 * skip, dead_letter (published with headers naming why and where from), fail (non-zero exit
 * naming the stream sequence).
 */

const MAX_PAYLOAD = 256 * 1024;
const DEPTH = 100_000;
const utf8 = new TextEncoder();

type Item = { id: number; name: string; qty: number; price: number; meta: { i: number } };

/** JSON payloads that must not decode against `(id bigint, name varchar, qty int, price double precision, meta jsonb)`. */
const BAD_JSON: readonly Uint8Array[] = [
  utf8.encode('{"id": 1, "name": "cut'), // malformed: truncated
  utf8.encode("not json at all"),
  utf8.encode('{"id": "abc", "name": "x"}'), // wrong type
  utf8.encode('{"id": 2, "qty": "many"}'),
  utf8.encode('{"id": 3, "name": {"first": "x"}}'),
  utf8.encode('{"id": 4, "qty": 3000000000}'), // out of range for int
  utf8.encode('{"id": 99999999999999999999999}'), // out of range for bigint
  utf8.encode('{"id": 5, "price": 1e400}'), // not a finite double
  Uint8Array.from([...utf8.encode('{"id": 6, "name": "'), 0xff, 0xfe, ...utf8.encode('"}')]), // invalid UTF-8
  new Uint8Array(0), // empty
  utf8.encode(`{"id": 7, "meta": ${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}}`), // too deep for jsonb
  utf8.encode("[1, 2, 3]"), // not an object
];

/** Protobuf payloads that must not decode as `hostile.Part`. */
const BAD_PROTOBUF: readonly Uint8Array[] = [
  Uint8Array.from([0x08, 0x05, 0x12, 0x05, 0x61]), // string cut short
  Uint8Array.from([0x08, 0xff]), // varint cut short
  Uint8Array.from([0x0f]), // wire type 7
  Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // 11-byte varint
  Uint8Array.from([0x12, 0x7f, 0x61]), // length past the end
  Uint8Array.from([0x12, 0x02, 0xff, 0xfe]), // name: invalid UTF-8
  Uint8Array.from([0x00, 0x00, 0x00]), // field number 0
];

const PART_PROTO = `syntax = "proto3";
package hostile;
message Part { int64 id = 1; string name = 2; int32 qty = 3; }
`;

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** `hostile.Part` on the wire (proto3: zero values are not written). */
function encodePart(p: { id: number; name: string; qty: number }): Uint8Array {
  const name = utf8.encode(p.name);
  return Uint8Array.from([
    ...(p.id === 0 ? [] : [0x08, ...varint(p.id)]),
    ...(name.length === 0 ? [] : [0x12, ...varint(name.length), ...name]),
    ...(p.qty === 0 ? [] : [0x18, ...varint(p.qty)]),
  ]);
}

/** A message of the hostile mix: its payload, and the row it must give (undefined: it must be bad). */
interface Mixed {
  payload: Uint8Array;
  good?: Record<string, unknown>;
}

/** 6000 JSON messages: every 5th bad (cycling through BAD_JSON), the good ones overwriting 700 ids; plus the edge cases. */
function jsonMix(): Mixed[] {
  const out: Mixed[] = [];
  for (let i = 0; i < 6000; i++) {
    if (i % 5 === 4) {
      out.push({ payload: BAD_JSON[Math.floor(i / 5) % BAD_JSON.length]! });
      continue;
    }
    const item: Item = { id: i % 700, name: `n${i}`, qty: i % 50, price: i / 4, meta: { i } };
    out.push({ payload: utf8.encode(JSON.stringify(item)), good: item });
  }
  // A field nobody reads, nested 100k deep: ignored, the row is good.
  const deep: Item = { id: 9001, name: "deep", qty: 1, price: 1, meta: { i: 1 } };
  const deepText = `{"ignored":${"[".repeat(DEPTH)}${"]".repeat(DEPTH)},${JSON.stringify(deep).slice(1)}`;
  out.splice(1234, 0, { payload: utf8.encode(deepText), good: deep });
  // Exactly the server's max_payload, the name padding it out.
  const big: Item = { id: 9002, name: "", qty: 2, price: 2, meta: { i: 2 } };
  big.name = "x".repeat(MAX_PAYLOAD - utf8.encode(JSON.stringify(big)).length);
  const bigPayload = utf8.encode(JSON.stringify(big));
  if (bigPayload.length !== MAX_PAYLOAD) throw new Error(`max-size payload is ${bigPayload.length} bytes`);
  out.splice(4321, 0, { payload: bigPayload, good: big });
  return out;
}

/** 3000 protobuf messages: every 4th bad; an empty payload is a valid proto3 message (all defaults). */
function protobufMix(): Mixed[] {
  const out: Mixed[] = [];
  for (let i = 0; i < 3000; i++) {
    if (i % 4 === 3) {
      out.push({ payload: BAD_PROTOBUF[Math.floor(i / 4) % BAD_PROTOBUF.length]! });
      continue;
    }
    const part = { id: i % 300, name: `p${i}`, qty: i % 9 };
    out.push({ payload: encodePart(part), good: part });
  }
  out.push({ payload: new Uint8Array(0), good: { id: 0, name: "", qty: 0 } });
  return out;
}

/** The table a mix must leave: the last good row per id, sorted as the CLI prints it. */
function lastPerId(mix: readonly Mixed[]): Record<string, unknown>[] {
  const rows = new Map<unknown, Record<string, unknown>>();
  for (const m of mix) if (m.good !== undefined) rows.set(m.good["id"], m.good);
  return sortRows([...rows.values()]);
}

/** Publishes raw payloads in order with JetStream acks (stream sequence = position + first). */
async function publishRaw(nc: NatsConnection, subject: string, payloads: readonly Uint8Array[]): Promise<void> {
  const js = jetstream(nc);
  for (let i = 0; i < payloads.length; i += 500) {
    await Promise.all(payloads.slice(i, i + 500).map((p) => js.publish(subject, p)));
  }
}

describe("hostile input through jetflow run", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let dir: string;
  let schemaUrl: string;
  const json = jsonMix();
  const proto = protobufMix();
  const ingest = (name: string, kind: "TABLE" | "SOURCE", columns: string, stream: string, extra = "") =>
    `CREATE ${kind} ${name} (${columns})
WITH (connector = 'nats', server_url = '${server.url}', subject = '${stream}.in', stream = '${stream}', connect_mode = 'plain'${extra})`;
  const ITEM_COLUMNS = "id bigint, name varchar, qty int, price double precision, meta jsonb";

  beforeAll(async () => {
    server = await NatsServer.start({ maxPayload: MAX_PAYLOAD });
    nc = await connect({ servers: server.url });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-hostile-"));
    const schema = path.join(dir, "part.proto");
    fs.writeFileSync(schema, PART_PROTO);
    schemaUrl = pathToFileURL(schema).href;
    await createStream(server.url, "hj", ["hj.in"]);
    await createStream(server.url, "hp", ["hp.in"]);
    await publishRaw(
      nc,
      "hj.in",
      json.map((m) => m.payload),
    );
    await publishRaw(
      nc,
      "hp.in",
      proto.map((m) => m.payload),
    );
  });
  afterAll(async () => {
    killLiveClis();
    await nc?.close();
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("skip and dead_letter: the run goes on, good rows all arrive, bad ones are counted and dead-lettered with headers", async () => {
    const badJson = json.flatMap((m, i) => (m.good === undefined ? [i + 1] : []));
    const badProto = proto.flatMap((m, i) => (m.good === undefined ? [i + 1] : []));
    const sqlFile = path.join(dir, "policies.sql");
    fs.writeFileSync(
      sqlFile,
      `${ingest("items", "TABLE", `${ITEM_COLUMNS.replace("id bigint", "id bigint PRIMARY KEY")}`, "hj")}
FORMAT PLAIN ENCODE JSON;
${ingest("item_events", "SOURCE", ITEM_COLUMNS, "hj", ", bad_message.policy = 'dead_letter', bad_message.dead_letter_subject = 'dlq.json'")}
FORMAT PLAIN ENCODE JSON;
${ingest("parts", "TABLE", "id bigint PRIMARY KEY, name varchar, qty int", "hp", ", bad_message.policy = 'dead_letter', bad_message.dead_letter_subject = 'dlq.proto'")}
FORMAT PLAIN ENCODE PROTOBUF (message = 'hostile.Part', schema.location = '${schemaUrl}');
CREATE MATERIALIZED VIEW item_counts AS SELECT count(*) AS n, sum(qty) AS qty FROM item_events;
`,
    );
    // Dead letters are plain publishes; a stream on their subjects keeps them, so a test process
    // stalled by a busy machine (a core subscriber the server cuts off as slow) loses none.
    await (await jetstreamManager(nc)).streams.delete("DLQ").catch(() => false);
    await createStream(server.url, "DLQ", ["dlq.>"]);
    const port = await freePort();
    // A directory of its own for each try: a retried test must not resume its first try's state.
    const stateDir = fs.mkdtempSync(path.join(dir, "state-"));
    const run = startCli(["run", sqlFile, "--state-dir", stateDir, "--metrics-port", String(port), "--print", "items"]);
    for (const [relation, total] of [
      ["items", json.length],
      ["item_events", json.length],
      ["parts", proto.length],
    ] as const) {
      await waitForMetric(run, port, "jetflow_messages_in_total", relation, total);
    }
    const metrics = (await scrape(port)) ?? "";
    expect(metricValue(metrics, "jetflow_decode_errors_total", "items")).toBe(badJson.length);
    expect(metricValue(metrics, "jetflow_decode_errors_total", "item_events")).toBe(badJson.length);
    expect(metricValue(metrics, "jetflow_decode_errors_total", "parts")).toBe(badProto.length);
    expect(metricValue(metrics, "jetflow_rows_decoded_total", "item_events")).toBe(json.length - badJson.length);
    expect(run.running()).toBe(true);
    const stopped = await run.stop();
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).toBe("");
    expect(parseJsonLines(stopped.stdout)).toEqual(lastPerId(json));

    // Every bad message once on its dead-letter subject: the raw payload, and headers saying why and whence.
    const letters: JsMsg[] = [];
    const dlq = await jetstream(nc).consumers.get("DLQ");
    const expected = badJson.length + badProto.length;
    for (let i = 0; i < 50 && letters.length < expected; i++) {
      const batch = await dlq.fetch({ max_messages: expected - letters.length, expires: 1000 });
      for await (const m of batch) letters.push(m);
    }
    const bySubject = (s: string) => letters.filter((m) => m.subject === s);
    for (const [subject, stream, mix, bad, relation] of [
      ["dlq.json", "hj.in", json, badJson, "item_events"],
      ["dlq.proto", "hp.in", proto, badProto, "parts"],
    ] as const) {
      const got = bySubject(subject);
      // Acked publishes may be retried out of order; each bad message is there exactly once.
      expect(got.map((m) => Number(m.headers?.get("Jetflow-Sequence"))).sort((a, b) => a - b)).toEqual(bad);
      for (const m of got) {
        const seq = Number(m.headers?.get("Jetflow-Sequence"));
        expect(Buffer.from(m.data).equals(mix[seq - 1]!.payload), `payload of ${seq}`).toBe(true);
        expect(m.headers?.get("Jetflow-Subject")).toBe(stream);
        expect(m.headers?.get("Jetflow-Relation")).toBe(relation);
        expect(m.headers?.get("Jetflow-Error")).toMatch(/\S/);
      }
    }

    // The other relations, from the checkpointed state (nothing is read again, nothing dead-lettered twice).
    const parts = await runCli(["run", sqlFile, "--state-dir", stateDir, "--until-caught-up", "--print", "parts"]);
    expect(parts.stderr).toBe("");
    expect(parseJsonLines(parts.stdout)).toEqual(lastPerId(proto));
    const counts = await runCli([
      "run",
      sqlFile,
      "--state-dir",
      stateDir,
      "--until-caught-up",
      "--print",
      "item_counts",
    ]);
    const good = json.flatMap((m) => (m.good === undefined ? [] : [m.good]));
    expect(parseJsonLines(counts.stdout)).toEqual([
      { n: good.length, qty: good.reduce((s, g) => s + (g["qty"] as number), 0) },
    ]);
  });

  /** A pipeline whose one table has policy fail, over the hostile JSON mix. */
  function failSql(): string {
    const sqlFile = path.join(dir, "fail.sql");
    fs.writeFileSync(
      sqlFile,
      `${ingest("strict", "TABLE", ITEM_COLUMNS, "hj", ", bad_message.policy = 'fail'")}
FORMAT PLAIN ENCODE JSON;
`,
    );
    return sqlFile;
  }
  const firstBad = () => json.findIndex((m) => m.good === undefined) + 1;
  const failLine = () => new RegExp(`^jetflow: strict: bad message at stream sequence ${firstBad()}: malformed JSON`);

  it("fail (live run): a non-zero exit and one line naming the relation and the first bad message's sequence", async () => {
    const r = await startCli(["run", failSql(), "--print", "strict"]).exited;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(failLine());
  });

  it("fail (--until-caught-up): the same line, not a generic 'source stopped'", async () => {
    const r = await runCli(["run", failSql(), "--until-caught-up", "--print", "strict"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(failLine());
  });
});
