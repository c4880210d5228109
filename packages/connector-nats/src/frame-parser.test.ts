import { NatsServer } from "@jetflow/test-harness";
import { Parser, type ParserEvent } from "@nats-io/nats-core/internal";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { connectNats } from "./connect.js";
import { FrameParser } from "./frame-parser.js";
import { resolveNatsOptions } from "./resolve-options.js";

/** An event as bytes and numbers, comparable with `toEqual`. */
function plain(e: ParserEvent): unknown {
  const hex = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString("latin1"));
  return {
    kind: e.kind,
    data: hex(e.data),
    ...(e.msg === undefined
      ? {}
      : { subject: hex(e.msg.subject), reply: hex(e.msg.reply), sid: e.msg.sid, hdr: e.msg.hdr, size: e.msg.size }),
  };
}

/** What a parser emits for `chunks`, read one after another; `thrown` if it threw. */
function run(make: (d: { push(e: ParserEvent): void }) => Parser, chunks: readonly Uint8Array[]) {
  const events: unknown[] = [];
  const raw: ParserEvent[] = [];
  const p = make({
    push: (e) => {
      raw.push(e);
      events.push(plain(e));
    },
  });
  try {
    for (const c of chunks) p.parse(c);
  } catch (e) {
    return { events, raw, thrown: (e as Error).message };
  }
  return { events, raw, thrown: undefined };
}

const natsjs = (d: { push(e: ParserEvent): void }) => new Parser(d);
const frame = (d: { push(e: ParserEvent): void }) => new FrameParser(d);

/** `bytes` cut at `cuts` (positions, any order, duplicates allowed). */
function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const c of [...at, bytes.length]) {
    if (c > last) out.push(bytes.subarray(last, c));
    last = c;
  }
  return out;
}

const token = fc.stringMatching(/^[A-Za-z0-9_.$>*-]{1,40}$/);
const payload = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));
/** Payloads that look like what they are read in: lines, spaces, `MSG`, CRLF. */
const tricky = fc
  .array(fc.constantFrom("MSG ", "\r\n", "\r", "\n", " ", "\t", "HMSG", "x", "PING\r\n", '{"k":1}'), { maxLength: 12 })
  .map((parts) => Buffer.from(parts.join("")));

const op = fc.oneof(
  fc.record({
    t: fc.constant("msg"),
    subject: token,
    sid: fc.nat(99_999),
    reply: fc.option(token),
    data: fc.oneof(payload, tricky),
    lower: fc.boolean(),
  }),
  fc.record({
    t: fc.constant("hmsg"),
    subject: token,
    sid: fc.nat(99_999),
    reply: fc.option(token),
    headers: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,12}$/), fc.stringMatching(/^[ -~]{0,20}$/)), {
      maxLength: 3,
    }),
    data: fc.oneof(payload, tricky),
  }),
  fc.constantFrom(
    { t: "line", text: "PING\r\n" },
    { t: "line", text: "PONG\r\n" },
    { t: "line", text: "+OK\r\n" },
    { t: "line", text: "-ERR 'Unknown Protocol Operation'\r\n" },
    { t: "line", text: 'INFO {"server_id":"x","max_payload":1048576}\r\n' },
  ),
);

function wire(o: Record<string, unknown>): Buffer {
  if (o.t === "line") return Buffer.from(o.text as string);
  const data = o.data as Buffer;
  const reply = o.reply === null ? "" : ` ${o.reply as string}`;
  if (o.t === "msg") {
    const verb = o.lower === true ? "msg" : "MSG";
    return Buffer.concat([
      Buffer.from(`${verb} ${o.subject} ${o.sid}${reply} ${data.length}\r\n`),
      data,
      Buffer.from("\r\n"),
    ]);
  }
  const hdrs = Buffer.from(
    `NATS/1.0\r\n${(o.headers as [string, string][]).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`,
  );
  const total = hdrs.length + data.length;
  return Buffer.concat([
    Buffer.from(`HMSG ${o.subject} ${o.sid}${reply} ${hdrs.length} ${total}\r\n`),
    hdrs,
    data,
    Buffer.from("\r\n"),
  ]);
}

describe("FrameParser", () => {
  it("property: emits what nats.js's parser emits, for any operations cut anywhere", () => {
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(20_000), { maxLength: 12 }),
        fc.boolean(),
        (ops, cuts, plainArrays) => {
          const bytes = Buffer.concat(ops.map((o) => wire(o as Record<string, unknown>)));
          // Socket reads are Buffers; a transport may hand plain Uint8Arrays too.
          const chunks = split(bytes, cuts).map((c) => (plainArrays ? new Uint8Array(c) : c));
          const want = run(natsjs, chunks);
          const got = run(frame, chunks);
          expect(got.thrown).toBe(want.thrown);
          expect(got.events).toEqual(want.events);
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("reads whole frames on the fast path: plain Uint8Array views of the read, no copies", () => {
    const read = Buffer.concat([
      Buffer.from("MSG _INBOX.a 7 $JS.ACK.S.c.1.42.42.1700000000123456789.3 5\r\nhello\r\n"),
      Buffer.from("HMSG orders.1 9 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"),
    ]);
    const { raw, thrown } = run(frame, [read]);
    expect(thrown).toBeUndefined();
    expect(raw.map((e) => e.data?.constructor)).toEqual([Uint8Array, Uint8Array]);
    expect(raw.every((e) => e.data?.buffer === read.buffer)).toBe(true);
    expect(raw.map(plain)).toEqual(run(natsjs, [read]).events);
  });

  it("property: multiple spaces between arguments, as nats.js reads them", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 4, maxLength: 4 }), (gaps) => {
        const sp = gaps.map((g) => " ".repeat(g));
        const bytes = Buffer.from(`MSG${sp[0]}a.b${sp[1]}3${sp[2]}r.x${sp[3]}2\r\nok\r\nPING\r\n`);
        expect(run(frame, [bytes]).events).toEqual(run(natsjs, [bytes]).events);
      }),
    );
  });

  it.each([
    ["a missing size", "MSG a 1\r\n"],
    ["a sid that is not a number", "MSG a x 2\r\nok\r\n"],
    ["too many arguments", "MSG a 1 b c 2\r\nok\r\n"],
    ["a header size above the size", "HMSG a 1 9 2\r\nok\r\n"],
    ["a size above 64 MiB", "MSG a 1 67108865\r\n"],
    ["an unknown operation", "XYZ\r\n"],
    ["a tab between arguments", "MSG\ta\t1\t2\r\nok\r\n"],
  ])("leaves %s to nats.js's state machine: the same error or events", (_what, text) => {
    const bytes = Buffer.from(text);
    const want = run(natsjs, [bytes]);
    expect(run(frame, [bytes])).toEqual({ ...want, raw: expect.any(Array) });
  });
});

describe("useFrameParser (through connectNats)", () => {
  const plainConfig = (server: NatsServer) =>
    resolveNatsOptions({ connector: "nats", server_url: server.url, subject: "x", stream: "X", connect_mode: "plain" });
  const parserOf = (nc: NatsConnection) => (nc as unknown as { protocol: { parser: Parser } }).protocol.parser;

  /** Sends `count` messages of `size` bytes (every other one with a header) and reads them back. */
  async function roundTrip(nc: NatsConnection, subject: string, count: number, size: number): Promise<void> {
    const got: string[] = [];
    const done = new Promise<void>((resolve) => {
      nc.subscribe(subject, {
        max: count,
        callback: (_e, m) => {
          got.push(`${m.headers?.get("n") ?? "-"}:${m.data.length}:${m.data[size - 1]}`);
          if (got.length === count) resolve();
        },
      });
    });
    for (let i = 0; i < count; i++) {
      const h = headers();
      h.set("n", String(i));
      nc.publish(subject, new Uint8Array(size).fill(i % 251), i % 2 === 0 ? { headers: h } : {});
    }
    await done;
    expect(got).toEqual(Array.from({ length: count }, (_, i) => `${i % 2 === 0 ? i : "-"}:${size}:${i % 251}`));
  }

  it("reads a connection with a FrameParser, across frames cut by socket reads and a server restart", async () => {
    await using server = await NatsServer.start();
    const nc = await connectNats(plainConfig(server));
    try {
      expect(parserOf(nc)).toBeInstanceOf(FrameParser);
      await roundTrip(nc, "small", 2_000, 100);
      await roundTrip(nc, "large", 40, 300_000); // each frame spans several socket reads
      const before = parserOf(nc);
      const reconnected = (async () => {
        for await (const s of nc.status()) if (s.type === "reconnect") return;
      })();
      await server.restart();
      await reconnected;
      expect(parserOf(nc)).toBeInstanceOf(FrameParser);
      expect(parserOf(nc)).not.toBe(before);
      await roundTrip(nc, "after", 2_000, 100);
    } finally {
      await nc.close();
    }
  });

  it("a bad JETFLOW_READ_PATH fails before connecting, naming the variable", async () => {
    await using server = await NatsServer.start();
    const before = process.env.JETFLOW_READ_PATH;
    process.env.JETFLOW_READ_PATH = "fast";
    try {
      await expect(connectNats(plainConfig(server))).rejects.toThrow(
        /JETFLOW_READ_PATH must be one of lean, consumer, got 'fast'/,
      );
    } finally {
      if (before === undefined) delete process.env.JETFLOW_READ_PATH;
      else process.env.JETFLOW_READ_PATH = before;
    }
  });

  it("leaves nats.js's parser when asked to", async () => {
    await using server = await NatsServer.start();
    const nc = await connectNats(plainConfig(server), { frameParser: false });
    try {
      expect(parserOf(nc)).not.toBeInstanceOf(FrameParser);
      await roundTrip(nc, "small", 100, 100);
    } finally {
      await nc.close();
    }
  });
});
