import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { type ColumnDef, ErrorCode, formatSqlType, InvalidOptionError, parseSqlType, SchemaError } from "@jetflow/core";
import type protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDecoder } from "../create-decoder.js";
import type { Decoder } from "../decoder.js";
import { SchemaLoadError } from "../errors.js";
import { rawBatch, rowsOf } from "../test-support.js";
import { loadProtoSchema } from "./schema-loader.js";

const SHOP_PROTO = `
syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "common/money.proto";

enum Status { STATUS_UNKNOWN = 0; PAID = 1; SHIPPED = 2; }

message Item { string sku = 1; int32 qty = 2; common.Money price = 3; }

message Order {
  int64 order_id = 1;
  uint64 big_counter = 2;
  uint32 small_counter = 3;
  sint32 delta = 4;
  double total = 5;
  float ratio = 6;
  bool paid = 7;
  string customer = 8;
  bytes blob = 9;
  Status status = 10;
  repeated Item items = 11;
  map<string, int64> attrs = 12;
  google.protobuf.Timestamp created_at = 13;
  google.protobuf.Duration ttl = 14;
  optional int32 maybe = 15;
  repeated string tags = 16;
  Item first_item = 17;
  map<int64, string> by_id = 18;
  fixed64 fx = 19;
}

message Tree { string name = 1; repeated Tree children = 2; }
`;

const MONEY_PROTO = `
syntax = "proto3";
package shop.common;
message Money { string currency = 1; int64 units = 2; }
`;

const DERIVED: Record<string, string> = {
  order_id: "bigint",
  big_counter: "numeric",
  small_counter: "bigint",
  delta: "integer",
  total: "double precision",
  ratio: "real",
  paid: "boolean",
  customer: "varchar",
  blob: "bytea",
  status: "varchar",
  items: "struct<sku varchar, qty integer, price struct<currency varchar, units bigint>>[]",
  attrs: "jsonb",
  created_at: "timestamptz",
  ttl: "interval",
  maybe: "integer",
  tags: "varchar[]",
  first_item: "struct<sku varchar, qty integer, price struct<currency varchar, units bigint>>",
  by_id: "jsonb",
  fx: "numeric",
};

const FULL_ORDER = {
  order_id: "9007199254740993",
  big_counter: "18446744073709551615",
  small_counter: 4294967295,
  delta: -5,
  total: 12.5,
  ratio: 0.5,
  paid: true,
  customer: "ann",
  blob: new Uint8Array([1, 2, 3]),
  status: 1,
  items: [
    { sku: "a", qty: 2, price: { currency: "EUR", units: "-9223372036854775808" } },
    { sku: "b", qty: 1 },
  ],
  attrs: { color: "9007199254740993" },
  created_at: { seconds: 1_700_000_000, nanos: 123_456_789 },
  ttl: { seconds: 90, nanos: 500_000_000 },
  maybe: 0,
  tags: ["x", "y"],
  by_id: { "12345678901234": "v" },
  fx: "42",
};

const FULL_ROW = {
  order_id: 9007199254740993n,
  big_counter: "18446744073709551615",
  small_counter: 4294967295n,
  delta: -5,
  total: 12.5,
  ratio: 0.5,
  paid: true,
  customer: "ann",
  blob: new Uint8Array([1, 2, 3]),
  status: "PAID",
  items: [
    { sku: "a", qty: 2, price: { currency: "EUR", units: -9223372036854775808n } },
    { sku: "b", qty: 1, price: null },
  ],
  attrs: '{"color":"9007199254740993"}',
  created_at: 1_700_000_000_123_456n,
  ttl: { months: 0, days: 0, nanos: 90_500_000_000n },
  maybe: 0,
  tags: ["x", "y"],
  first_item: null,
  by_id: '{"12345678901234":"v"}',
  fx: "42",
};

/** A message with nothing set: proto3 defaults, NULL for unset messages and optionals. */
const EMPTY_ROW = {
  order_id: 0n,
  big_counter: "0",
  small_counter: 0n,
  delta: 0,
  total: 0,
  ratio: 0,
  paid: false,
  customer: "",
  blob: new Uint8Array(0),
  status: "STATUS_UNKNOWN",
  items: [],
  attrs: "{}",
  created_at: null,
  ttl: null,
  maybe: null,
  tags: [],
  first_item: null,
  by_id: "{}",
  fx: "0",
};

let dir: string;
let server: Server;
let httpBase: string;
let Order: protobuf.Type;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "jetflow-proto-"));
  await mkdir(join(dir, "common"));
  await writeFile(join(dir, "shop.proto"), SHOP_PROTO);
  await writeFile(join(dir, "common", "money.proto"), MONEY_PROTO);
  const root = await loadProtoSchema(pathToFileURL(join(dir, "shop.proto")).href);
  Order = root.lookupType("shop.Order");
  // What `protoc --include_imports --descriptor_set_out` would write (protoc is not installed here).
  const set = descriptor.FileDescriptorSet.encode(root.toDescriptor("proto3")).finish();
  await writeFile(join(dir, "shop.pb"), set);
  await writeFile(join(dir, "garbage.bin"), new Uint8Array([0xff, 0xfe, 0x00, 0x13, 0x37]));
  server = createServer(async (req, res) => {
    const files: Record<string, string> = {
      "/schemas/shop.proto": "shop.proto",
      "/schemas/common/money.proto": "common/money.proto",
      "/schemas/shop.pb": "shop.pb",
    };
    const file = files[req.url ?? ""];
    if (file === undefined) {
      res.writeHead(404).end("not found");
      return;
    }
    const { readFile } = await import("node:fs/promises");
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(await readFile(join(dir, file)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  httpBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}/schemas`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

function protobufDecoder(
  location: string,
  columns?: ColumnDef[],
  options: Record<string, string> = {},
): Promise<Decoder> {
  return createDecoder({
    format: {
      format: "plain",
      encode: "protobuf",
      options: { message: "shop.Order", "schema.location": location, ...options },
    },
    columns,
    include: [],
  });
}

const encode = (type: protobuf.Type, object: Record<string, unknown>) => type.encode(type.fromObject(object)).finish();
const columnTypes = (decoder: Decoder) =>
  Object.fromEntries(
    decoder.schema.fields.map((f) => [f.name, formatSqlType(JSON.parse(f.metadata.get("jetflow.sql_type")!))]),
  );

describe("ENCODE PROTOBUF: schema locations", () => {
  const locations = () => ({
    "file, .proto text": pathToFileURL(join(dir, "shop.proto")).href,
    "file, descriptor set": pathToFileURL(join(dir, "shop.pb")).href,
    "http, .proto text": `${httpBase}/shop.proto`,
    "http, descriptor set": `${httpBase}/shop.pb`,
  });

  for (const form of [
    "file, .proto text",
    "file, descriptor set",
    "http, .proto text",
    "http, descriptor set",
  ] as const) {
    test(`${form}: columns derived from the message, values decoded exactly`, async () => {
      const decoder = await protobufDecoder(locations()[form]);
      expect(columnTypes(decoder)).toEqual(DERIVED);
      const { batch, bad } = decoder.decode(rawBatch([encode(Order, FULL_ORDER), new Uint8Array(0)]));
      expect(bad).toEqual([]);
      expect(rowsOf(batch)).toEqual([FULL_ROW, EMPTY_ROW]);
    });
  }

  test("a relative file:// path is read from the working directory", async () => {
    const relativePath = relative(process.cwd(), join(dir, "shop.proto"));
    expect(relativePath.startsWith("/")).toBe(false);
    const decoder = await protobufDecoder(`file://${relativePath}`);
    expect(columnTypes(decoder)).toEqual(DERIVED);
  });

  test("unreadable locations are SchemaLoadErrors on schema.location", async () => {
    const missing = protobufDecoder(pathToFileURL(join(dir, "nope.proto")).href);
    await expect(missing).rejects.toThrow(SchemaLoadError);
    await expect(missing).rejects.toMatchObject({ code: ErrorCode.InvalidOption, option: "schema.location" });
    await expect(protobufDecoder(`${httpBase}/nope.proto`)).rejects.toThrow(/HTTP 404/);
    await expect(protobufDecoder(pathToFileURL(join(dir, "garbage.bin")).href)).rejects.toThrow(
      /holds neither a valid \.proto file .* nor a FileDescriptorSet/,
    );
    await expect(protobufDecoder("s3://bucket/shop.proto")).rejects.toThrow(
      "must start with file://, http:// or https://",
    );
  });

  test("a message the schema does not have is an error at creation naming the ones it has", async () => {
    const creating = createDecoder({
      format: {
        format: "plain",
        encode: "protobuf",
        options: { message: "shop.Nope", "schema.location": pathToFileURL(join(dir, "shop.pb")).href },
      },
      columns: undefined,
      include: [],
    });
    await expect(creating).rejects.toThrow(InvalidOptionError);
    await expect(creating).rejects.toThrow(
      /message 'shop.Nope' is not in schema.location .* \(messages: .*shop\.Order.*\)/,
    );
  });

  test("a recursive message cannot be derived, unless listed in messages_as_jsonb", async () => {
    const location = pathToFileURL(join(dir, "shop.proto")).href;
    const options = (extra: Record<string, string>) =>
      ({
        format: {
          format: "plain",
          encode: "protobuf",
          options: { message: "shop.Tree", "schema.location": location, ...extra },
        },
        columns: undefined,
        include: [],
      }) as const;
    await expect(createDecoder(options({}))).rejects.toThrow(
      new SchemaError(
        "protobuf message shop.Tree is recursive (shop.Tree -> shop.Tree via field children): declare the columns, or list the message in messages_as_jsonb",
      ),
    );
    const decoder = await createDecoder(options({ messages_as_jsonb: "shop.Tree" }));
    expect(columnTypes(decoder)).toEqual({ name: "varchar", children: "jsonb[]" });
    const Tree = (await loadProtoSchema(location)).lookupType("shop.Tree");
    const { batch } = decoder.decode(rawBatch([encode(Tree, { name: "root", children: [{ name: "leaf" }] })]));
    expect(rowsOf(batch)).toEqual([{ name: "root", children: ['{"children":[],"name":"leaf"}'] }]);
  });
});

describe("ENCODE PROTOBUF: declared columns", () => {
  test("columns match fields by name and convert by the column's type", async () => {
    const columns = Object.entries({
      ORDER_ID: "varchar",
      status: "int",
      created_at: "timestamp",
      total: "numeric",
      attrs: "struct<key varchar, value bigint>[]",
      by_id: "struct<k bigint, v varchar>[]",
      items: "jsonb",
      first_item: "struct<price struct<units numeric>>",
      tags: "jsonb",
      blob: "bytea",
    }).map(([name, type]) => ({ name, type: parseSqlType(type, name) }));
    const decoder = await protobufDecoder(pathToFileURL(join(dir, "shop.proto")).href, columns);
    const { batch, bad } = decoder.decode(
      rawBatch([encode(Order, { ...FULL_ORDER, first_item: { price: { units: "7" } } }), new Uint8Array(0)]),
    );
    expect(bad).toEqual([]);
    expect(rowsOf(batch)).toEqual([
      {
        ORDER_ID: "9007199254740993",
        status: 1,
        created_at: 1_700_000_000_123_456n,
        total: "12.5",
        attrs: [{ key: "color", value: 9007199254740993n }],
        by_id: [{ k: 12345678901234n, v: "v" }],
        items:
          '[{"sku":"a","qty":2,"price":{"currency":"EUR","units":"-9223372036854775808"}},{"sku":"b","qty":1,"price":null}]',
        first_item: { price: { units: "7" } },
        tags: '["x","y"]',
        blob: new Uint8Array([1, 2, 3]),
      },
      {
        ORDER_ID: "0",
        status: 0,
        created_at: null,
        total: "0",
        attrs: [],
        by_id: [],
        items: "[]",
        first_item: null,
        tags: "[]",
        blob: new Uint8Array(0),
      },
    ]);
  });

  test("a column without a field, or of a type the field cannot fill, is a SchemaError at creation", async () => {
    const location = pathToFileURL(join(dir, "shop.proto")).href;
    const one = (name: string, type: string) => [{ name, type: parseSqlType(type, name) }];
    await expect(protobufDecoder(location, one("nope", "int"))).rejects.toThrow(
      /column "nope" is not a field of protobuf message shop.Order \(fields: order_id, big_counter/,
    );
    await expect(protobufDecoder(location, one("first_item", "int"))).rejects.toThrow(
      'column "first_item" is integer, but protobuf field shop.Order.first_item is Item: it needs a struct or jsonb column',
    );
    await expect(protobufDecoder(location, one("tags", "varchar"))).rejects.toThrow(
      "protobuf field shop.Order.tags is repeated string: it needs a list or jsonb column",
    );
    await expect(protobufDecoder(location, one("attrs", "varchar[]"))).rejects.toThrow(
      "it needs a jsonb column or struct<key K, value V>[]",
    );
    await expect(protobufDecoder(location, one("first_item", "struct<nope int>"))).rejects.toThrow(
      'column "first_item.nope" is not a field of protobuf message shop.Item',
    );
  });
});

describe("ENCODE PROTOBUF: bad messages", () => {
  test("truncated data and wrong wire types are bad messages; good rows stay", async () => {
    const decoder = await protobufDecoder(pathToFileURL(join(dir, "shop.pb")).href);
    const full = encode(Order, FULL_ORDER);
    const { batch, bad } = decoder.decode(
      rawBatch([
        { payload: full, sequence: 1 },
        { payload: full.subarray(0, full.length - 3), sequence: 2 },
        { payload: new TextEncoder().encode("hello world, not protobuf"), sequence: 3 },
        { payload: full, sequence: 4 },
      ]),
    );
    expect(rowsOf(batch)).toEqual([FULL_ROW, FULL_ROW]);
    expect(bad.map((b) => b.sequence)).toEqual([2, 3]);
    expect(bad[0]!.reason).toMatch(/^malformed protobuf: /);
    expect(bad[1]!.reason).toMatch(/^malformed protobuf: .*wire type/);
  });

  test("a double field into a real column: out of range when float4 cannot hold it, as in PostgreSQL", async () => {
    const decoder = await protobufDecoder(pathToFileURL(join(dir, "shop.proto")).href, [
      { name: "total", type: parseSqlType("real") },
    ]);
    const { batch, bad } = decoder.decode(
      rawBatch([1e-50, 1e39, 0.1, 0].map((total) => encode(Order, { total, customer: "x" }))),
    );
    expect(bad.map((b) => b.reason)).toEqual([
      'column "total": out of range for type real, got number 1e-50',
      'column "total": out of range for type real, got number 1e+39',
    ]);
    expect(rowsOf(batch)).toEqual([{ total: Math.fround(0.1) }, { total: 0 }]);
  });

  test("a value the declared column cannot hold is a bad message naming the column", async () => {
    const decoder = await protobufDecoder(pathToFileURL(join(dir, "shop.proto")).href, [
      { name: "big_counter", type: parseSqlType("bigint") },
    ]);
    const { batch, bad } = decoder.decode(
      rawBatch([encode(Order, { big_counter: "18446744073709551615" }), encode(Order, { big_counter: "5" })]),
    );
    expect(rowsOf(batch)).toEqual([{ big_counter: 5n }]);
    expect(bad.map((b) => b.reason)).toEqual([
      'column "big_counter": bigint out of range, got integer 18446744073709551615',
    ]);
  });
});
