import { NatsSource, ReaderThreads, resolveNatsOptions, ThreadedSource } from "@jetflow/connector-nats";
import { SchemaError, toJsonLines } from "@jetflow/core";
import { createDecoder, type DecoderSpec } from "@jetflow/decoders";
import { NatsServer } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, headers } from "@nats-io/transport-node";
import { type RecordBatch, Table } from "apache-arrow";
import type { Observable } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeStage } from "./decode-stage.js";
import { type DecodedInput, decodeInput } from "./decoded-input.js";
import { DecodingSource } from "./decoding-source.js";
import { consumerNames, columnsFrom } from "./test-support.js";

const MESSAGES = 2_000;
const spec: DecoderSpec = {
  format: { format: "plain", encode: "json", options: {} },
  columns: columnsFrom({ id: "int", name: "varchar", amount: "decimal" }),
  include: [
    { kind: "subject", name: "subj" },
    { kind: "header", name: "trace", key: "trace" },
    { kind: "timestamp", name: "at" },
    { kind: "payload", name: "body" },
  ],
};
const runtime = { maxBatchRows: 300, pullMessages: 700, keepHeaders: true };

let server: NatsServer;
const threads = new ReaderThreads(1);
beforeAll(async () => {
  server = await NatsServer.start();
  const nc = await connect({ servers: server.url });
  await (await jetstreamManager(nc)).streams.add({ name: "DS", subjects: ["ds.>"] });
  for (let i = 1; i <= MESSAGES; i++) {
    const h = headers();
    h.set("trace", `t${i}`);
    // Every 97th is malformed, every 89th breaks a column's rule: bad messages among good ones.
    const payload =
      i % 97 === 0
        ? `{"id": ${i},`
        : i % 89 === 0
          ? `{"id": "x${i}"}`
          : JSON.stringify({ id: i, name: `n${i % 7}`, amount: `${i}.5` });
    nc.publish(`ds.${i % 3}`, payload, { headers: h });
  }
  await nc.flush();
  for (let t = 0; t < 100; t++) {
    const info = await (await jetstreamManager(nc)).streams.info("DS");
    if (info.state.messages === MESSAGES) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await nc.close();
});
afterAll(async () => {
  await threads.close();
  await server?.dispose();
});

const withOptions = () => ({
  connector: "nats",
  server_url: server.url,
  stream: "DS",
  subject: "ds.>",
  connect_mode: "plain",
});

/** Every decoded batch until `MESSAGES` messages were seen: rows (as JSON lines) and bad messages in order. */
function drain(
  batches$: Observable<DecodedInput>,
): Promise<{ rows: string[]; bad: DecodedInput["bad"][number][]; offsets: Map<string, number> }> {
  return new Promise((resolve, reject) => {
    const rows: string[] = [];
    const bad: DecodedInput["bad"][number][] = [];
    const offsets = new Map<string, number>();
    let seen = 0;
    const sub = batches$.subscribe({
      next: (input) => {
        rows.push(...linesOf(input.batch));
        bad.push(...input.bad);
        for (const [k, v] of input.offsets) offsets.set(k, v);
        seen += input.messages;
        if (seen >= MESSAGES) {
          queueMicrotask(() => sub.unsubscribe());
          resolve({ rows, bad, offsets });
        }
      },
      error: reject,
    });
  });
}

function linesOf(batch: RecordBatch): string[] {
  const text = toJsonLines(new Table([batch]));
  return text === "" ? [] : text.split("\n").filter((l) => l !== "");
}

describe("decode in the reader thread (the pipeline's stage for a ThreadedSource)", () => {
  it("gives the rows, bad messages (reason, payload) and offsets that decoding on this thread gives", async () => {
    const decoder = await createDecoder(spec);
    const raw = await NatsSource.open(resolveNatsOptions(withOptions()), runtime);
    const here = new DecodingSource(raw, (batch) => decodeInput(decoder, batch));
    const there = await ThreadedSource.open(threads, withOptions(), runtime, decodeStage("ds", spec, decoder.schema));
    try {
      const a = await drain(here.batches$);
      const b = await drain(there.batches$);
      expect(b.rows).toEqual(a.rows);
      expect(b.rows).toHaveLength(MESSAGES - 20 - 22); // 20 malformed, 22 with a bad id (89 * 97 > MESSAGES)
      expect(JSON.parse(b.rows[0] as string)).toMatchObject({ id: 1, name: "n1", subj: "ds.1", trace: "t1" });
      // (`index` is the place in a batch, and batches are cut where a linger ends.)
      const bad = (x: DecodedInput["bad"][number]) => ({ ...x, index: 0, payload: Buffer.from(x.payload).toString() });
      expect(b.bad.map(bad)).toEqual(a.bad.map(bad));
      expect(b.bad[0]).toMatchObject({ sequence: 89, subject: "ds.2", reason: expect.stringMatching(/"id"/) });
      expect(Buffer.from(b.bad[1]?.payload as Uint8Array).toString()).toBe('{"id": 97,');
      expect(b.offsets).toEqual(a.offsets);
    } finally {
      await Promise.all([here.stop(), there.stop()]);
    }
  });

  it("a reader whose decoder has another schema fails the open with a SchemaError, and leaves no consumer", async () => {
    const other = await createDecoder({ ...spec, columns: columnsFrom({ id: "bigint" }) });
    const e = await ThreadedSource.open(threads, withOptions(), runtime, decodeStage("ds", spec, other.schema)).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(SchemaError);
    expect((e as Error).message).toMatch(/relation "ds": the reader thread's decoder has another schema/);
    expect(await consumerNames(server.url, "DS")).toEqual([]);
  });
});
