import { describe, expect, it } from "vitest";
import { Encoder, type SinkInput } from "./encoder.js";
import { EpochBuffer, MessageOp } from "./epoch-buffer.js";
import { SinkError } from "./errors.js";
import { resolveSinkOptions, type SinkFormat } from "./sink-options.js";
import { change, columns } from "./test-support.js";

const cols = columns({ region: "varchar", n: "bigint", total: "double precision" });
const base = { connector: "nats", server_url: "localhost:4222", connect_mode: "plain" };

function encode(
  format: SinkFormat,
  input: Partial<SinkInput>,
  extra: Record<string, string>,
  ...changes: ReturnType<typeof change>[]
) {
  const config = resolveSinkOptions({ ...base, subject: "out", ...extra }, format);
  const encoder = new Encoder("s", config, { name: "v", columns: cols, key: undefined, appendOnly: true, ...input });
  const buffer = new EpochBuffer();
  for (const c of changes) encoder.encode(c, buffer);
  encoder.flush(buffer);
  const [chunk] = buffer.take(100);
  return chunk === undefined ? [] : chunk.s.map((s, i) => ({ subject: s, payload: chunk.p[i], op: chunk.o[i] }));
}

describe("Encoder", () => {
  it("PLAIN: one JSON object per inserted row, values as --print prints them", () => {
    const out = encode(
      "plain",
      {},
      {},
      change(cols, [
        ["eu", 9007199254740993n, 1.5],
        [null, 2n, null],
      ]),
    );
    expect(out).toEqual([
      { subject: "out", payload: '{"region":"eu","n":"9007199254740993","total":1.5}', op: MessageOp.none },
      { subject: "out", payload: '{"region":null,"n":2,"total":null}', op: MessageOp.none },
    ]);
  });

  it("PLAIN refuses a relation that retracts with RisingWave's reason, and drops retractions with force_append_only", () => {
    expect(() => encode("plain", { appendOnly: false }, {})).toThrow(SinkError);
    expect(() => encode("plain", { appendOnly: false }, {})).toThrow(/force_append_only='true'/);
    const out = encode(
      "plain",
      { appendOnly: false },
      { force_append_only: "true" },
      change(
        cols,
        [
          ["eu", 1n, 1],
          ["eu", 2n, 3],
        ],
        [-1, 1],
      ),
    );
    expect(out.map((m) => m.payload)).toEqual(['{"region":"eu","n":2,"total":3}']);
  });

  it("UPSERT: rows by key with op upsert, deletes carry the key alone, last write per key wins, {col} fills the subject", () => {
    const out = encode(
      "upsert",
      { key: ["region"], appendOnly: false },
      { subject: "totals.{region}" },
      change(cols, [
        ["eu", 1n, 1],
        ["us west", 1n, 2],
      ]),
      change(
        cols,
        [
          ["eu", 1n, 1],
          ["eu", 2n, 5],
          ["us west", 1n, 2],
        ],
        [-1, 1, -1],
      ),
    );
    expect(out).toEqual([
      { subject: "totals.eu", payload: '{"region":"eu","n":2,"total":5}', op: MessageOp.upsert },
      { subject: "totals.us=20west", payload: '{"region":"us west"}', op: MessageOp.delete },
    ]);
  });

  it("UPSERT on a text key: null, empty, non-ASCII and U+0100 are four keys; each keeps its last write", () => {
    const out = encode(
      "upsert",
      { key: ["region"], appendOnly: false },
      { subject: "t" },
      change(cols, [
        [null, 1n, 1],
        ["", 1n, 2],
        ["é", 1n, 3],
        ["\u0100", 1n, 4],
        ["Ã©", 1n, 5],
      ]),
      change(cols, [
        ["é", 2n, 30],
        [null, 2n, 10],
      ]),
    );
    expect(out.map((m) => m.payload)).toEqual([
      '{"region":"","n":1,"total":2}',
      '{"region":"\u0100","n":1,"total":4}',
      '{"region":"Ã©","n":1,"total":5}',
      '{"region":"é","n":2,"total":30}',
      '{"region":null,"n":2,"total":10}',
    ]);
  });

  it("UPSERT needs a key, and primary_key must name columns", () => {
    expect(() => encode("upsert", { appendOnly: false }, {})).toThrow(/needs a key/);
    expect(() => encode("upsert", {}, { primary_key: "nope" })).toThrow(/primary_key names column "nope"/);
    expect(() => encode("plain", {}, { subject: "a.{nope}" })).toThrow(/subject names column "nope"/);
  });

  it("DEBEZIUM: c, u (retract + insert of one key) and d", () => {
    const out = encode(
      "debezium",
      { key: ["region"], appendOnly: false },
      {},
      change(cols, [["eu", 1n, 1]]),
      change(
        cols,
        [
          ["eu", 1n, 1],
          ["eu", 2n, 4],
        ],
        [-1, 1],
      ),
      change(cols, [["eu", 2n, 4]], [-1]),
    ).map((m) => JSON.parse(m.payload as string));
    expect(out.map((m) => [m.op, m.before, m.after])).toEqual([
      ["c", null, { region: "eu", n: 1, total: 1 }],
      ["u", { region: "eu", n: 1, total: 1 }, { region: "eu", n: 2, total: 4 }],
      ["d", { region: "eu", n: 2, total: 4 }, null],
    ]);
    expect(typeof out[0].ts_ms).toBe("number");
  });
});
