import { parseSqlType, SchemaError, sqlTypeOfField } from "@jetflow/core";
import { expect, test } from "vitest";
import { createDecoder } from "./create-decoder.js";
import type { IncludeColumn } from "./decoder.js";
import { rawBatch, rowsOf } from "./test-support.js";

const json = { format: "plain", encode: "json", options: {} } as const;
const columns = [{ name: "v", type: parseSqlType("int") }];

const include: IncludeColumn[] = [
  { kind: "subject", name: "subj" },
  { kind: "partition", name: "part" },
  { kind: "offset", name: "off" },
  { kind: "sequence", name: "seq" },
  { kind: "timestamp", name: "ts" },
  { kind: "payload", name: "raw" },
  { kind: "header", name: "headers" },
  { kind: "header", name: "trace", key: "Trace-Id" },
];

test("INCLUDE columns come after the payload columns, typed like RisingWave's", async () => {
  const decoder = await createDecoder({ format: json, columns, include });
  expect(decoder.schema.fields.map((f) => [f.name, sqlTypeOfField(f).kind])).toEqual([
    ["v", "integer"],
    ["subj", "varchar"],
    ["part", "varchar"],
    ["off", "varchar"],
    ["seq", "bigint"],
    ["ts", "timestamptz"],
    ["raw", "bytea"],
    ["headers", "jsonb"],
    ["trace", "varchar"],
  ]);
});

test("INCLUDE columns are filled from the message, for the good rows only", async () => {
  const decoder = await createDecoder({ format: json, columns, include });
  const headers = new Map<string, string[]>([
    ["trace-id", ["abc", "def"]],
    ["X", ["1"]],
  ]);
  const { batch, bad } = decoder.decode(
    rawBatch([
      {
        payload: '{"v": 1}',
        subject: "orders.eu",
        sequence: 9007199254740991,
        timestampUs: 1_700_000_000_123_456,
        headers,
      },
      { payload: '{"v": "bad"}', subject: "orders.us", sequence: 7 },
      { payload: '{"v": 3}', subject: "orders.us", sequence: 8, timestampUs: 5 },
    ]),
  );
  expect(bad.map((b) => b.sequence)).toEqual([7]);
  expect(rowsOf(batch)).toEqual([
    {
      v: 1,
      subj: "orders.eu",
      part: "orders.eu",
      off: "9007199254740991",
      seq: 9007199254740991n,
      ts: 1_700_000_000_123_456n,
      raw: new TextEncoder().encode('{"v": 1}'),
      headers: '{"trace-id":["abc","def"],"X":["1"]}',
      trace: "abc",
    },
    {
      v: 3,
      subj: "orders.us",
      part: "orders.us",
      off: "8",
      seq: 8n,
      ts: 5n,
      raw: new TextEncoder().encode('{"v": 3}'),
      headers: null,
      trace: null,
    },
  ]);
});

test("header values are NULL when the source kept no headers", async () => {
  const decoder = await createDecoder({ format: json, columns, include: include.slice(6) });
  const { batch } = decoder.decode(rawBatch(['{"v": 1}']));
  expect(rowsOf(batch)).toEqual([{ v: 1, headers: null, trace: null }]);
});

test("INCLUDE names share the column namespace; only header takes a key", async () => {
  await expect(createDecoder({ format: json, columns, include: [{ kind: "subject", name: "v" }] })).rejects.toThrow(
    new SchemaError('column "v" is defined twice (payload and INCLUDE columns share one namespace)'),
  );
  await expect(
    createDecoder({ format: json, columns, include: [{ kind: "subject", name: "s", key: "x" }] }),
  ).rejects.toThrow("INCLUDE subject takes no key");
  await expect(
    createDecoder({ format: json, columns, include: [{ kind: "key" as "subject", name: "k" }] }),
  ).rejects.toThrow(
    "INCLUDE key is not supported (accepted: subject, offset, partition, payload, header, timestamp, sequence)",
  );
});
