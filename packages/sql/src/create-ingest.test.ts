import { ErrorCode } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { parseSql } from "./parse-sql.js";
import { catalogOf, planOne, positionOf, sqlErrorOf } from "./testing.js";

const NATS = `connector = 'nats', server_url = 'localhost:4222', subject = 's', stream = 'S', connect_mode = 'plain'`;
const NATS_OPTIONS = {
  connector: "nats",
  server_url: "localhost:4222",
  subject: "s",
  stream: "S",
  connect_mode: "plain",
};

/** Asserts that parsing + planning `sql` fails with `code` and `detail` at the `nth` occurrence of `at`. */
function expectError(sql: string, code: string, at: string, detail: string, nth = 0, catalog = catalogOf({})) {
  const e = sqlErrorOf(() => planOne(sql, catalog));
  expect({ code: e.code, message: e.message }).toEqual({ code, message: `${positionOf(sql, at, nth)}: ${detail}` });
}

describe("the seed pages' examples", () => {
  it("parses the PROTOBUF example with no column list and its schema.location", () => {
    const sql = `CREATE TABLE live_stream_metrics
WITH (
  connector = 'nats',
  server_url = 'nats-server:4222',
  subject = 'live_stream_metrics',
  stream = 'risingwave',
  connect_mode = 'plain'
) FORMAT PLAIN ENCODE PROTOBUF(
  message = 'livestream.schema.LiveStreamMetrics',
  schema.location = 'http://file_server:8080/schema'
);`;
    expect(planOne(sql)).toEqual({
      kind: "create_table",
      name: "live_stream_metrics",
      ifNotExists: false,
      spec: {
        columns: undefined,
        include: [],
        with: {
          connector: "nats",
          server_url: "nats-server:4222",
          subject: "live_stream_metrics",
          stream: "risingwave",
          connect_mode: "plain",
        },
        format: {
          format: "plain",
          encode: "protobuf",
          options: {
            message: "livestream.schema.LiveStreamMetrics",
            "schema.location": "http://file_server:8080/schema",
          },
        },
        primaryKey: [],
      },
    });
  });

  it("parses the syntax block with every option filled in (backtick values, trailing comma, comments)", () => {
    const sql = `CREATE TABLE IF NOT EXISTS orders
(
   id bigint PRIMARY KEY,
   amount double precision
)
WITH (
   connector='nats',
   server_url='nats-1:4222,nats-2:4222',
   subject='orders.>',
   stream='ORDERS',

-- optional parameters
   connect_mode='credential',
   username='alice',
   password='hunter2',
   jwt=\`eyJ0eXAiOiJKV1QifQ.e30.sig\`,
   nkey=\`SUAM2QHJZ7W6JEYFNZ4LQ2\`,

-- delivery parameters
   scan.startup.mode=\`timestamp_millis\`,
   scan.startup.timestamp_millis='1700000000000',
)
FORMAT PLAIN ENCODE JSON;`;
    expect(planOne(sql)).toEqual({
      kind: "create_table",
      name: "orders",
      ifNotExists: true,
      spec: {
        columns: [
          { name: "id", type: { kind: "bigint" } },
          { name: "amount", type: { kind: "double precision" } },
        ],
        include: [],
        with: {
          connector: "nats",
          server_url: "nats-1:4222,nats-2:4222",
          subject: "orders.>",
          stream: "ORDERS",
          connect_mode: "credential",
          username: "alice",
          password: "hunter2",
          jwt: "eyJ0eXAiOiJKV1QifQ.e30.sig",
          nkey: "SUAM2QHJZ7W6JEYFNZ4LQ2",
          "scan.startup.mode": "timestamp_millis",
          "scan.startup.timestamp_millis": "1700000000000",
        },
        format: { format: "plain", encode: "json", options: {} },
        primaryKey: ["id"],
      },
    });
  });

  it("parses the schema_definition with a table-level composite PRIMARY KEY", () => {
    const sql = `CREATE SOURCE IF NOT EXISTS s0 (a int) WITH (${NATS}) FORMAT PLAIN ENCODE JSON;
CREATE TABLE t (
   region varchar, day date, total numeric(10, 2),
   PRIMARY KEY ( region, day )
) WITH (${NATS}) FORMAT PLAIN ENCODE JSON;`;
    const [source, table] = parseSql(sql);
    expect(source?.plan(catalogOf({}))).toMatchObject({ kind: "create_source", name: "s0", ifNotExists: true });
    expect(table?.plan(catalogOf({}))).toMatchObject({
      kind: "create_table",
      spec: {
        columns: [
          { name: "region", type: { kind: "varchar" } },
          { name: "day", type: { kind: "date" } },
          { name: "total", type: { kind: "numeric" } },
        ],
        primaryKey: ["region", "day"],
      },
    });
  });
});

describe("CREATE TABLE / SOURCE", () => {
  it("folds unquoted names, keeps quoted ones, and reads nested types", () => {
    const sql = `create source "Mixed Case" (
      "UserId" INT, Payload STRUCT<"Inner" varchar, tags text[]>, ids BIGINT[][], ts TIMESTAMP WITH TIME ZONE
    ) WITH (${NATS}) FORMAT PLAIN ENCODE MSGPACK;`;
    expect(planOne(sql)).toEqual({
      kind: "create_source",
      name: "Mixed Case",
      ifNotExists: false,
      spec: {
        columns: [
          { name: "UserId", type: { kind: "integer" } },
          {
            name: "payload",
            type: {
              kind: "struct",
              fields: [
                { name: "Inner", type: { kind: "varchar" } },
                { name: "tags", type: { kind: "list", element: { kind: "varchar" } } },
              ],
            },
          },
          { name: "ids", type: { kind: "list", element: { kind: "list", element: { kind: "bigint" } } } },
          { name: "ts", type: { kind: "timestamptz" } },
        ],
        include: [],
        with: NATS_OPTIONS,
        format: { format: "plain", encode: "msgpack", options: {} },
      },
    });
  });

  it("reads INCLUDE columns with RisingWave's default names, header keys and AS names", () => {
    const sql = `CREATE TABLE t (payload bytea)
      INCLUDE subject INCLUDE offset AS seq_text INCLUDE header 'Nats-Msg-Id' AS msg_id INCLUDE header
      INCLUDE timestamp AS ts INCLUDE sequence INCLUDE partition INCLUDE payload AS raw
      WITH (${NATS}) FORMAT PLAIN ENCODE BYTES`;
    const statement = planOne(sql);
    expect(statement.kind === "create_table" && statement.spec.include).toEqual([
      { kind: "subject", name: "_rw_nats_subject" },
      { kind: "offset", name: "seq_text" },
      { kind: "header", name: "msg_id", key: "Nats-Msg-Id" },
      { kind: "header", name: "_rw_nats_header" },
      { kind: "timestamp", name: "ts" },
      { kind: "sequence", name: "_rw_nats_sequence" },
      { kind: "partition", name: "_rw_nats_partition" },
      { kind: "payload", name: "raw" },
    ]);
  });

  it("reads option keys quoted or dotted and values as strings, numbers, words and signed numbers", () => {
    const sql = `CREATE SOURCE s (a int) WITH (${NATS}, 'consumer.durable_name' = 'd', "Consumer"."Name" = N1,
      consumer.max_ack_pending = 100, consumer.ack_wait.sec = -1, allow_create_stream = true,
      consumer.description = E'tab\\there') FORMAT PLAIN ENCODE JSON (timestamptz.handling.mode = 'micro')`;
    const statement = planOne(sql);
    expect(statement.kind === "create_source" && statement.spec).toMatchObject({
      with: {
        ...NATS_OPTIONS,
        "consumer.durable_name": "d",
        "Consumer.Name": "N1",
        "consumer.max_ack_pending": "100",
        "consumer.ack_wait.sec": "-1",
        allow_create_stream: "true",
        "consumer.description": "tab\there",
      },
      format: { encode: "json", options: { "timestamptz.handling.mode": "micro" } },
    });
  });

  it("accepts the connector name in any case and keeps the value as written", () => {
    const statement = planOne(`CREATE SOURCE s (a int) WITH (connector = 'NATS') FORMAT PLAIN ENCODE JSON`);
    expect(statement.kind === "create_source" && statement.spec.with).toEqual({ connector: "NATS" });
  });

  it("accepts a PRIMARY KEY with no column list for PROTOBUF (the pipeline checks it against the message)", () => {
    const sql = `CREATE TABLE t (PRIMARY KEY (id)) WITH (${NATS}) FORMAT PLAIN ENCODE PROTOBUF (message = 'm.M', schema.location = 'file:///x.pb')`;
    expect(planOne(sql)).toMatchObject({ kind: "create_table", spec: { columns: undefined, primaryKey: ["id"] } });
  });

  it("plans IF NOT EXISTS over an existing relation (the pipeline skips it)", () => {
    const sql = `CREATE TABLE IF NOT EXISTS t (a int) WITH (${NATS}) FORMAT PLAIN ENCODE JSON`;
    expect(planOne(sql, catalogOf({ t: ["a integer"] }))).toMatchObject({ kind: "create_table", ifNotExists: true });
  });
});

describe("DDL syntax errors say what was expected and what was found, where", () => {
  const J = `WITH (${NATS}) FORMAT PLAIN ENCODE JSON`;
  const S = ErrorCode.SqlSyntax;
  const U = ErrorCode.SqlUnsupported;
  it.each([
    ["CREATE", S, "", "expected TABLE, SOURCE, MATERIALIZED VIEW or SINK after CREATE, found end of input"],
    ["CREATE TABLE", S, "", "expected a table name, found end of input"],
    ["CREATE SOURCE 'x'", S, "'x'", "expected a source name, found a string literal"],
    [`CREATE TABLE public.t (a int) ${J}`, U, "public", 'schema-qualified names are not supported: "public.…"'],
    [`CREATE TABLE t (id, v int) ${J}`, S, ",", "expected a data type for column \"id\", found ','"],
    [
      `CREATE TABLE t (id int PRIMARY KEY PRIMARY KEY) ${J}`,
      S,
      "PRIMARY",
      "expected ')' or ',' after column definition, found 'PRIMARY'",
      1,
    ],
    [
      `CREATE TABLE t (id int v int) ${J}`,
      U,
      "int",
      'column "id": unknown type "int v int" (accepted: boolean, smallint, integer, bigint, real, double precision, numeric, varchar, bytea, date, time, timestamp, timestamptz, interval, jsonb, struct<...>, T[])',
    ],
    [
      `CREATE TABLE t (id uuid) ${J}`,
      U,
      "uuid",
      'column "id": unknown type "uuid" (accepted: boolean, smallint, integer, bigint, real, double precision, numeric, varchar, bytea, date, time, timestamp, timestamptz, interval, jsonb, struct<...>, T[])',
    ],
    [`CREATE TABLE t (id int NOT NULL) ${J}`, U, "NOT", "column constraint NOT is not supported (only PRIMARY KEY)"],
    [
      `CREATE TABLE t (id int DEFAULT 1) ${J}`,
      U,
      "DEFAULT",
      "column constraint DEFAULT is not supported (only PRIMARY KEY)",
    ],
    [`CREATE TABLE t (id int PRIMARY) ${J}`, S, ")", "expected KEY after PRIMARY, found ')'"],
    [
      `CREATE TABLE t (id int PRIMARY KEY, PRIMARY KEY (id)) ${J}`,
      S,
      "PRIMARY",
      'multiple primary keys for table "t" are not allowed',
      1,
    ],
    [`CREATE TABLE t (id int, PRIMARY KEY id) ${J}`, S, "id)", "expected '(' after PRIMARY KEY, found 'id'"],
    [
      `CREATE TABLE t (a int, b int, PRIMARY KEY (a b)) ${J}`,
      S,
      "b))",
      "expected ')' or ',' in the PRIMARY KEY column list, found 'b'",
    ],
    [`CREATE TABLE t (a int ${J}`, S, "WITH", "expected ')' or ',' after column definition, found 'WITH'"],
    [`CREATE TABLE t (with int) ${J}`, S, "with", "expected a column name or PRIMARY KEY, found 'with'"],
    ["CREATE TABLE t (a int) FORMAT PLAIN ENCODE JSON", S, "FORMAT", "expected INCLUDE or WITH, found 'FORMAT'"],
    ["CREATE TABLE t FORMAT PLAIN ENCODE JSON", S, "FORMAT", "expected '(', INCLUDE or WITH, found 'FORMAT'"],
    ["CREATE TABLE t (a int) WITH connector = 'nats'", S, "connector", "expected '(' after WITH, found 'connector'"],
    [
      "CREATE TABLE t (a int) WITH (connector 'nats')",
      S,
      "'nats'",
      "expected '=' after option connector, found a string literal",
    ],
    [
      "CREATE TABLE t (a int) WITH (password 'hunter2')",
      S,
      "'hunter2'",
      "expected '=' after option password, found a string literal",
    ],
    [
      "CREATE TABLE t (a int) WITH (connector = 'nats'\n  username = 'u')",
      S,
      "username",
      "expected ',' or ')' after option connector, found 'username'",
    ],
    [
      "CREATE TABLE t (a int) WITH (password = two words)",
      S,
      "words",
      "expected ',' or ')' after option password (quote a value with spaces or symbols: '...')",
    ],
    [
      "CREATE TABLE t (a int) WITH (connector = 'nats', subject = )",
      S,
      ")",
      "expected a value for option subject ('text', a number or a word), found ')'",
      1,
    ],
    [
      "CREATE TABLE t (a int) WITH (connector = <connect_mode>)",
      S,
      "<",
      "expected a value for option connector ('text', a number or a word), found '<'",
    ],
    [
      "CREATE TABLE t (a int) WITH (subject = 'a', Subject = 'b')",
      S,
      "Subject",
      "option subject is given twice in WITH (...)",
    ],
    ["CREATE TABLE t (a int) WITH (= 'a')", S, "=", "expected an option name in WITH (...), found '='"],
    ["CREATE TABLE t (a int) WITH (scan. = 'a')", S, "=", "expected an option name part after '.', found '='"],
    [`CREATE TABLE t (a int) WITH (${NATS})`, S, "", "expected FORMAT after WITH (...), found end of input"],
    [
      `CREATE TABLE t (a int) WITH (${NATS}) FORMAT UPSERT ENCODE JSON`,
      U,
      "UPSERT",
      "FORMAT UPSERT is not supported (jetflow reads FORMAT PLAIN)",
    ],
    [
      `CREATE TABLE t (a int) WITH (${NATS}) FORMAT PLAIN JSON`,
      S,
      "JSON",
      "expected ENCODE after FORMAT PLAIN, found 'JSON'",
    ],
    [
      `CREATE TABLE t (a int) WITH (${NATS}) FORMAT PLAIN ENCODE AVRO`,
      U,
      "AVRO",
      "ENCODE AVRO is not supported (supported: JSON, PROTOBUF, BYTES, MSGPACK)",
    ],
    [
      `CREATE TABLE t (a int) WITH (${NATS}) FORMAT PLAIN ENCODE`,
      S,
      "",
      "expected an encoding (JSON, PROTOBUF, BYTES or MSGPACK) after ENCODE, found end of input",
    ],
    [
      `CREATE TABLE t (a int) WITH (${NATS}) FORMAT PLAIN ENCODE JSON (x = 1`,
      S,
      "",
      "expected ',' or ')' after option x, found end of input",
    ],
    [
      `CREATE TABLE t (a int) INCLUDE key ${J}`,
      U,
      "key",
      "INCLUDE key is not supported by the NATS connector (supported: subject, offset, partition, payload, header, timestamp, sequence)",
    ],
    [`CREATE TABLE t (a int) INCLUDE subject AS ${J}`, S, "WITH", "expected a column name after AS, found 'WITH'"],
    [
      `CREATE TABLE t (a int) INCLUDE ${J}`,
      U,
      "WITH",
      "INCLUDE with is not supported by the NATS connector (supported: subject, offset, partition, payload, header, timestamp, sequence)",
    ],
    [
      `CREATE TABLE t (a int) ${J} CREATE TABLE u (a int) ${J}`,
      S,
      "CREATE",
      "expected ';' after the statement, found 'CREATE'",
      1,
    ],
    [
      `CREATE TABLE t (a int) WITH (subject = 'unterminated) FORMAT PLAIN ENCODE JSON`,
      S,
      "'unterminated",
      "unterminated quoted string",
    ],
    [`CREATE TABLE t (a int) /* never closed ${J}`, S, "/*", "unterminated /* comment"],
    [`CREATE TABLE "t (a int) ${J}`, S, '"t', "unterminated quoted identifier"],
    [`CREATE TABLE "" (a int) ${J}`, S, '""', "zero-length quoted identifier"],
    ["CREATE TABLE t (a int) WITH (jwt = `abc)", S, "`abc", "unterminated backtick-quoted string"],
  ])("%s", (sql, code, at, detail, nth = 0) => {
    const e = sqlErrorOf(() => parseSql(sql));
    const where = at === "" ? positionOf(`${sql}\u0000`, "\u0000") : positionOf(sql, at, nth);
    expect({ code: e.code, message: e.message }).toEqual({ code, message: `${where}: ${detail}` });
  });

  it("never echoes a string literal, so secrets stay out of messages", () => {
    for (const sql of [
      "CREATE TABLE t (a int) WITH (password 'hunter2')",
      "CREATE TABLE t (a int) WITH (password = 'hunter2' 'hunter2')",
      "CREATE TABLE t (a int 'hunter2') WITH (x = 1)",
      "CREATE TABLE t (a int) WITH (password = `hunter2` jwt = 'x')",
    ]) {
      expect(sqlErrorOf(() => parseSql(sql)).message).not.toContain("hunter2");
    }
  });
});

describe("DDL checks at plan time, against the catalog", () => {
  const N = ErrorCode.SqlName;
  it("requires connector = 'nats'", () => {
    expectError(
      "CREATE SOURCE s (a int) WITH (subject = 's') FORMAT PLAIN ENCODE JSON",
      ErrorCode.SqlSyntax,
      "WITH",
      "missing option connector in WITH (...): connector = 'nats'",
    );
    expectError(
      "CREATE SOURCE s (a int) WITH (connector = 'kafka', topic = 't') FORMAT PLAIN ENCODE JSON",
      ErrorCode.SqlUnsupported,
      "'kafka'",
      "connector 'kafka' is not supported: jetflow reads from NATS JetStream (connector = 'nats')",
    );
  });

  it("rejects duplicate columns, including INCLUDE columns", () => {
    expectError(
      `CREATE TABLE t (a int, b int, A varchar) WITH (${NATS}) FORMAT PLAIN ENCODE JSON`,
      N,
      "A varchar",
      'column "a" specified more than once',
    );
    expectError(
      `CREATE TABLE t (_rw_nats_subject varchar) INCLUDE subject WITH (${NATS}) FORMAT PLAIN ENCODE JSON`,
      N,
      "subject WITH",
      'column "_rw_nats_subject" specified more than once',
    );
  });

  it("rejects PRIMARY KEY on a source, as RisingWave does (a source checks no key)", () => {
    const detail = 'a source does not support PRIMARY KEY constraint, please use "CREATE TABLE" instead';
    expectError(
      `CREATE SOURCE s (a int PRIMARY KEY) WITH (${NATS}) FORMAT PLAIN ENCODE JSON`,
      ErrorCode.SqlUnsupported,
      "PRIMARY",
      detail,
    );
    expectError(
      `CREATE SOURCE s (a int, PRIMARY KEY (a)) WITH (${NATS}) FORMAT PLAIN ENCODE JSON`,
      ErrorCode.SqlUnsupported,
      "PRIMARY",
      detail,
    );
  });

  it("requires primary-key columns to exist, once each", () => {
    expectError(
      `CREATE TABLE t (a int, PRIMARY KEY (a, b)) WITH (${NATS}) FORMAT PLAIN ENCODE JSON`,
      N,
      "b)",
      'column "b" named in key does not exist',
    );
    expectError(
      `CREATE TABLE t (a int, PRIMARY KEY (a, a)) WITH (${NATS}) FORMAT PLAIN ENCODE JSON`,
      N,
      "a)",
      'column "a" appears twice in primary key constraint',
    );
  });

  it("allows a primary key on an INCLUDE column", () => {
    const sql = `CREATE TABLE t (a int, PRIMARY KEY (seq)) INCLUDE sequence AS seq WITH (${NATS}) FORMAT PLAIN ENCODE JSON`;
    expect(planOne(sql)).toMatchObject({ spec: { primaryKey: ["seq"] } });
  });

  it("requires message and schema.location for PROTOBUF", () => {
    const base = `CREATE TABLE t WITH (${NATS}) FORMAT PLAIN ENCODE PROTOBUF`;
    const hint = "ENCODE PROTOBUF (message = 'package.Message', schema.location = 'file://... | http(s)://...')";
    expectError(
      `${base} (schema.location = 'file:///a.pb')`,
      ErrorCode.SqlSyntax,
      "PROTOBUF",
      `ENCODE PROTOBUF needs the option message: ${hint}`,
    );
    expectError(
      `${base} (message = 'a.B')`,
      ErrorCode.SqlSyntax,
      "PROTOBUF",
      `ENCODE PROTOBUF needs the option schema.location: ${hint}`,
    );
    expectError(base, ErrorCode.SqlSyntax, "PROTOBUF", `ENCODE PROTOBUF needs the option message: ${hint}`);
  });

  it("requires a column list for JSON and MSGPACK, and one bytea column for BYTES", () => {
    expectError(
      `CREATE SOURCE s WITH (${NATS}) FORMAT PLAIN ENCODE JSON`,
      ErrorCode.SqlSyntax,
      "JSON",
      "ENCODE JSON needs a column list: (name type, ...)",
    );
    expectError(
      `CREATE SOURCE s () WITH (${NATS}) FORMAT PLAIN ENCODE MSGPACK`,
      ErrorCode.SqlSyntax,
      "MSGPACK",
      "ENCODE MSGPACK needs a column list: (name type, ...)",
    );
    expectError(
      `CREATE SOURCE s (a bytea, b bytea) WITH (${NATS}) FORMAT PLAIN ENCODE BYTES`,
      ErrorCode.SqlSyntax,
      "BYTES",
      "ENCODE BYTES needs exactly one column, of type bytea",
    );
    expectError(
      `CREATE SOURCE s (a varchar) WITH (${NATS}) FORMAT PLAIN ENCODE BYTES`,
      ErrorCode.SqlSyntax,
      "BYTES",
      "ENCODE BYTES needs exactly one column, of type bytea",
    );
  });

  it("rejects a name that is taken, unless IF NOT EXISTS", () => {
    expectError(
      `CREATE TABLE t (a int) WITH (${NATS}) FORMAT PLAIN ENCODE JSON`,
      N,
      "t (",
      'relation "t" already exists',
      0,
      catalogOf({ t: ["a integer"] }),
    );
  });
});
