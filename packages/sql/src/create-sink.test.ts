import { ErrorCode } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { catalogOf, planOne, positionOf, sqlErrorOf } from "./testing.js";

const catalog = { ...catalogOf({ t: ["a integer", "b varchar"] }), hasSink: (n: string) => n === "old" };
const W = "WITH (connector = 'nats', server_url = 'localhost:4222', subject = 'out', connect_mode = 'plain')";

describe("CREATE SINK / DROP SINK", () => {
  it("plans FROM a relation and AS SELECT (an implicit view), with the format or none", () => {
    expect(planOne(`CREATE SINK s FROM t ${W} FORMAT UPSERT ENCODE JSON`, catalog)).toEqual({
      kind: "create_sink",
      name: "s",
      ifNotExists: false,
      spec: {
        from: { kind: "relation", name: "t" },
        with: { connector: "nats", server_url: "localhost:4222", subject: "out", connect_mode: "plain" },
        format: "upsert",
      },
    });
    const s = planOne(
      `CREATE SINK IF NOT EXISTS s AS SELECT b, count(*) AS n FROM t WHERE a IN (1, 2) GROUP BY b ${W}`,
      catalog,
    );
    expect(s).toMatchObject({ kind: "create_sink", ifNotExists: true, spec: { format: undefined } });
    expect(s.kind === "create_sink" && s.spec.from.kind === "query" && s.spec.from.query.kind).toBe("aggregate");
    expect(planOne("DROP SINK IF EXISTS nope", catalog)).toEqual({
      kind: "drop",
      what: "sink",
      name: "nope",
      ifExists: true,
    });
    expect(planOne("DROP SINK old", catalog)).toMatchObject({ what: "sink", name: "old" });
  });

  it.each([
    [`CREATE SINK s FROM nope ${W}`, ErrorCode.SqlName, "nope", 'relation "nope" does not exist'],
    [`CREATE SINK old FROM t ${W}`, ErrorCode.SqlName, "old", 'sink "old" already exists'],
    [`CREATE SINK t FROM t ${W}`, ErrorCode.SqlName, "t FROM", 'sink "t" already exists'],
    [
      "CREATE SINK s FROM t WITH (subject = 'x')",
      ErrorCode.SqlSyntax,
      "s FROM",
      "missing option connector in WITH (...)",
    ],
    [
      `CREATE SINK s FROM t ${W} FORMAT AVRO ENCODE JSON`,
      ErrorCode.SqlUnsupported,
      "AVRO",
      "a sink's FORMAT is PLAIN, UPSERT or DEBEZIUM",
    ],
    [
      `CREATE SINK s FROM t ${W} FORMAT PLAIN ENCODE AVRO`,
      ErrorCode.SqlUnsupported,
      "AVRO",
      "a sink encodes JSON: ENCODE JSON",
    ],
    [`CREATE SINK s FROM t ${W} FORMAT PLAIN`, ErrorCode.SqlSyntax, "", "expected ENCODE after FORMAT PLAIN"],
    ["CREATE SINK s FROM t", ErrorCode.SqlSyntax, "", "expected WITH (...) options of the sink"],
    ["DROP SINK nope", ErrorCode.SqlName, "nope", 'sink "nope" does not exist'],
  ])("%s", (sql, code, at, detail) => {
    const e = sqlErrorOf(() => planOne(sql, catalog));
    expect(e.code).toBe(code);
    expect(e.message).toContain(detail);
    const where = at === "" ? positionOf(`${sql}\u0000`, "\u0000") : positionOf(sql, at);
    expect(e.message).toContain(where);
  });
});
