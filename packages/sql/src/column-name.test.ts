import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogOf, outputNames, viewOf } from "./testing.js";

// The view's column names must be the ones PostgreSQL gives the same SELECT: checked against
// real PostgreSQL (PGlite), not against a list written by hand.
const catalog = catalogOf({
  t: ["a integer", "b varchar", "c bigint", "v double precision", "ts timestamptz", "flag boolean"],
});
const CREATE = "CREATE TABLE t (a integer, b varchar, c bigint, v double precision, ts timestamptz, flag boolean)";

const SELECTS = [
  "SELECT a, b, c FROM t",
  "SELECT * FROM t",
  "SELECT x.* FROM t x",
  "SELECT a + 1, b FROM t",
  "SELECT -a FROM t",
  "SELECT a IS NULL FROM t",
  "SELECT 'lit' FROM t",
  "SELECT 1.5 FROM t",
  "SELECT true FROM t",
  "SELECT NULL FROM t",
  "SELECT b || 'x' FROM t",
  "SELECT a::bigint, 'x'::text, CAST(b AS varchar(3)) AS b3 FROM t",
  "SELECT 1::bigint FROM t",
  "SELECT '1 minute'::interval FROM t",
  "SELECT INTERVAL '1 minute' FROM t",
  "SELECT (a + 1)::text FROM t",
  "SELECT CAST(ts AS date) FROM t",
  "SELECT CASE WHEN flag THEN 1 END FROM t",
  "SELECT CASE WHEN flag THEN 1 END::int FROM t",
  "SELECT coalesce(b, 'x'), nullif(a, 1) FROM t",
  "SELECT lower(b), upper(b), length(b) FROM t",
  "SELECT char_length(b) FROM t",
  "SELECT trim(b) FROM t",
  "SELECT substring(b from 1 for 2) FROM t",
  "SELECT substr(b, 2) FROM t",
  "SELECT extract(epoch from ts) FROM t",
  "SELECT date_part('hour', ts) FROM t",
  "SELECT date_trunc('hour', ts) FROM t",
  "SELECT now() FROM t",
  "SELECT CURRENT_TIMESTAMP FROM t",
  "SELECT abs(a), round(v), floor(v), ceil(v) FROM t",
  "SELECT ceiling(v) FROM t",
  "SELECT concat(b, a) FROM t",
  "SELECT to_timestamp(c) FROM t",
  'SELECT a AS "Mixed Case", b AS lower_case FROM t',
  "SELECT count(*) FROM t",
  "SELECT count(a), b FROM t GROUP BY b",
  "SELECT sum(c), avg(v) FROM t",
  "SELECT min(ts), max(b) FROM t",
  "SELECT count(DISTINCT a) FROM t",
  "SELECT sum(a) + 1 FROM t",
  "SELECT b, count(*) FROM t GROUP BY b HAVING count(*) > 1",
  "SELECT count(*), b FROM t GROUP BY 2",
  "SELECT lower(b) AS k, count(*) FROM t GROUP BY k",
  "SELECT DISTINCT b FROM t",
  "SELECT b, count(*) AS n FROM t GROUP BY b ORDER BY n DESC LIMIT 2",
  "SELECT a FROM t ORDER BY v LIMIT 3",
];

describe("unaliased output columns are named as PostgreSQL names them", () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create();
    await db.exec(CREATE);
  });
  afterAll(async () => {
    await db.close();
  });

  it.each(SELECTS)("%s", async (select) => {
    const postgres = (await db.query(select)).fields.map((f) => f.name);
    expect(outputNames(viewOf(select, catalog), catalog)).toEqual(postgres);
  });
});
