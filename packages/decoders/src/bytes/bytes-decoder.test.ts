import { parseSqlType, SchemaError } from "@jetflow/core";
import { expect, test } from "vitest";
import { createDecoder } from "../create-decoder.js";
import { rawBatch, rowsOf } from "../test-support.js";

const format = { format: "plain", encode: "bytes", options: {} } as const;

test("ENCODE BYTES keeps each payload as is, copied out of the raw batch", async () => {
  const decoder = await createDecoder({
    format,
    columns: [{ name: "data", type: parseSqlType("bytea") }],
    include: [],
  });
  const payloads = [new Uint8Array([0, 1, 2, 255]), new Uint8Array(0), new TextEncoder().encode("not json {")];
  const raw = rawBatch(payloads);
  const { batch, bad } = decoder.decode(raw);
  expect(bad).toEqual([]);
  raw.payloads[0]!.fill(9);
  expect(rowsOf(batch)).toEqual([
    { data: new Uint8Array([0, 1, 2, 255]) },
    { data: new Uint8Array(0) },
    { data: payloads[2] },
  ]);
});

test("ENCODE BYTES needs exactly one bytea column, like RisingWave", async () => {
  const one = (type: string) => [{ name: "data", type: parseSqlType(type) }];
  await expect(createDecoder({ format, columns: undefined, include: [] })).rejects.toThrow(SchemaError);
  await expect(createDecoder({ format, columns: one("varchar"), include: [] })).rejects.toThrow(
    "ENCODE BYTES needs exactly one bytea column",
  );
  await expect(
    createDecoder({ format, columns: [...one("bytea"), { name: "x", type: parseSqlType("bytea") }], include: [] }),
  ).rejects.toThrow(SchemaError);
  await expect(createDecoder({ format, columns: one("bytea"), include: [], ...{} })).resolves.toBeDefined();
});

test("ENCODE BYTES takes no options", async () => {
  await expect(
    createDecoder({
      format: { ...format, options: { message: "x" } },
      columns: [{ name: "d", type: parseSqlType("bytea") }],
      include: [],
    }),
  ).rejects.toThrow('unknown ENCODE BYTES option "message" (it takes no options)');
});
