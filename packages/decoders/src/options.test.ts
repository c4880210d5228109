import { ErrorCode, InvalidOptionError, parseSqlType, SchemaError } from "@jetflow/core";
import { describe, expect, test } from "vitest";
import { createDecoder } from "./create-decoder.js";
import type { FormatSpec } from "./decoder.js";
import { resolveFormat } from "./options.js";

const spec = (encode: FormatSpec["encode"], options: Record<string, string> = {}): FormatSpec => ({
  format: "plain",
  encode,
  options,
});

function optionError(fn: () => unknown): InvalidOptionError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidOptionError) return e;
    throw e;
  }
  throw new Error("no error thrown");
}

describe("resolveFormat", () => {
  test("fills defaults", () => {
    expect(resolveFormat(spec("json"))).toEqual({ encode: "json", timestamptzNumbers: "guess" });
    expect(resolveFormat(spec("msgpack", { "timestamptz.handling.mode": "milli" }))).toEqual({
      encode: "msgpack",
      timestamptzNumbers: "milli",
    });
    expect(resolveFormat(spec("bytes"))).toEqual({ encode: "bytes" });
    expect(
      resolveFormat(
        spec("protobuf", { message: "a.B", "schema.location": "file:///x.proto", messages_as_jsonb: ".a.C, a.D" }),
      ),
    ).toEqual({
      encode: "protobuf",
      message: "a.B",
      schemaLocation: "file:///x.proto",
      messagesAsJsonb: ["a.C", "a.D"],
    });
  });

  test("unknown keys name the key and the accepted ones", () => {
    const e = optionError(() => resolveFormat(spec("json", { "schema.registry": "http://x" })));
    expect(e.option).toBe("schema.registry");
    expect(e.code).toBe(ErrorCode.InvalidOption);
    expect(e.message).toBe('unknown ENCODE JSON option "schema.registry" (accepted: timestamptz.handling.mode)');
  });

  test("invalid values name the option and the accepted values", () => {
    const e = optionError(() => resolveFormat(spec("json", { "timestamptz.handling.mode": "nanos" })));
    expect(e.option).toBe("timestamptz.handling.mode");
    expect(e.message).toContain("accepted: guess_number_unit, milli, micro, utc_string, utc_without_suffix");
  });

  test("protobuf needs message and schema.location", () => {
    expect(optionError(() => resolveFormat(spec("protobuf", { "schema.location": "file:///x" }))).option).toBe(
      "message",
    );
    expect(optionError(() => resolveFormat(spec("protobuf", { message: "a.B" }))).option).toBe("schema.location");
    expect(
      optionError(() => resolveFormat(spec("protobuf", { message: " ", "schema.location": "file:///x" }))).message,
    ).toBe("ENCODE PROTOBUF needs option message (the fully-qualified message name, e.g. 'pkg.Message')");
  });

  test("only FORMAT PLAIN and the four encodes", () => {
    expect(optionError(() => resolveFormat({ ...spec("json"), format: "upsert" as "plain" })).option).toBe("FORMAT");
    expect(optionError(() => resolveFormat(spec("avro" as "json"))).message).toBe(
      "ENCODE AVRO is not supported (accepted: JSON, MSGPACK, PROTOBUF, BYTES)",
    );
  });
});

describe("createDecoder", () => {
  test("schema-driven encodings need a column list", async () => {
    for (const encode of ["json", "msgpack"] as const) {
      await expect(createDecoder({ format: spec(encode), columns: undefined, include: [] })).rejects.toThrow(
        SchemaError,
      );
      await expect(createDecoder({ format: spec(encode), columns: [], include: [] })).rejects.toThrow(
        "needs a column list",
      );
    }
  });

  test("duplicate struct fields are refused", async () => {
    await expect(
      createDecoder({
        format: spec("json"),
        columns: [
          {
            name: "s",
            type: {
              kind: "struct",
              fields: [
                { name: "a", type: parseSqlType("int") },
                { name: "a", type: parseSqlType("int") },
              ],
            },
          },
        ],
        include: [],
      }),
    ).rejects.toThrow('column "s": struct field "a" is defined twice');
  });
});
