import type { ViewQuery } from "@jetflow/pipeline";
import { sqlPipeline } from "@jetflow/sql";
import { describe, expect, it } from "vitest";
import { type GroupPlan, type PartitionStep, planGroup, stepsOf } from "./group-plan.js";

const WITH =
  "WITH (connector = 'nats', server_url = 'nats://127.0.0.1:1', connect_mode = 'plain', subject = 's', stream = 'st') FORMAT PLAIN ENCODE JSON";
const TABLES = `
CREATE TABLE orders (id int, cust int, region varchar, amount double, PRIMARY KEY (id)) ${WITH};
CREATE TABLE customers (id int, country varchar, PRIMARY KEY (id)) ${WITH};
`;

async function planOf(sql: string, partitions = 4): Promise<GroupPlan> {
  return planGroup(await sqlPipeline().sql(sql).plan(), partitions);
}

/** The steps as short lines: what a reader of the plan checks. */
function outline(steps: readonly PartitionStep[]): string[] {
  return steps.map((s) => {
    const only = s.only === undefined ? "" : ` @${s.only}`;
    switch (s.kind) {
      case "statement": {
        const st = s.statement;
        if (st.kind === "create_view") return `view ${st.name} = ${shape(st.query)}${only}`;
        return `${st.kind} ${"name" in st ? st.name : ""}${only}`;
      }
      case "feed":
        return `feed ${s.name} <- ${s.edge} as ${s.as}${only}`;
      case "output":
        return `output ${s.relation} -> ${s.edge} by ${s.key.join(",")}${only}`;
      default:
        return "?";
    }
  });
}

/** A query tree as `kind(input)` text, naming scanned relations. */
function shape(q: ViewQuery): string {
  switch (q.kind) {
    case "scan":
      return q.relation;
    case "join":
      return `join(${shape(q.left)}, ${shape(q.right)})`;
    case "union":
      return `union(${q.inputs.map(shape).join(", ")})`;
    default:
      return `${q.kind}(${shape(q.input)})`;
  }
}

describe("planGroup", () => {
  it("routes each table by its primary key and cuts a GROUP BY on another column", async () => {
    const plan = await planOf(`${TABLES}
      CREATE MATERIALIZED VIEW by_region AS SELECT region, sum(amount) AS total FROM orders GROUP BY region;`);
    expect(outline(plan.steps)).toEqual([
      "create_source __jf_in0 @0",
      "output __jf_in0 -> in0 by id @0",
      "feed orders <- in0 as table",
      "create_source __jf_in1 @1",
      "output __jf_in1 -> in1 by id @1",
      "feed customers <- in1 as table",
      "view __jf_x1_up = orders",
      "output __jf_x1_up -> x1 by region",
      "feed __jf_x1 <- x1 as view",
      "view by_region = aggregate(__jf_x1)",
    ]);
    expect(plan.edges).toEqual(["in0", "in1", "x1"]);
    expect(plan.relations.get("orders")?.placement).toEqual(["id"]);
    expect(plan.relations.get("by_region")?.placement).toEqual(["region"]);
    // Each partition runs the routers placed on it, and everything else.
    expect(outline(stepsOf(plan, 1)).filter((l) => l.includes("__jf_in"))).toEqual([
      "create_source __jf_in1 @1",
      "output __jf_in1 -> in1 by id @1",
    ]);
    expect(stepsOf(plan, 2).some((s) => s.only !== undefined)).toBe(false);
  });

  it("keeps a GROUP BY on the primary key, filters and projections where their input is", async () => {
    const plan = await planOf(`${TABLES}
      CREATE MATERIALIZED VIEW per_order AS SELECT id, count(*) AS n FROM orders WHERE amount > 1 GROUP BY id;
      CREATE MATERIALIZED VIEW big AS SELECT id AS order_id, n FROM per_order WHERE n > 0;`);
    expect(outline(plan.steps).filter((l) => l.startsWith("view"))).toEqual([
      "view per_order = aggregate(filter(orders))",
      "view big = project(filter(per_order))",
    ]);
    expect(plan.relations.get("big")?.placement).toEqual(["order_id"]);
  });

  it("cuts a join on a non-key column of one side only, then its GROUP BY", async () => {
    const plan = await planOf(`${TABLES}
      CREATE MATERIALIZED VIEW by_country AS
        SELECT c.country, sum(o.amount) AS total FROM orders o JOIN customers c ON o.cust = c.id GROUP BY c.country;`);
    expect(outline(plan.steps).slice(6)).toEqual([
      "view __jf_x1_up = orders",
      "output __jf_x1_up -> x1 by cust",
      "feed __jf_x1 <- x1 as view",
      "view __jf_x2_up = join(__jf_x1, customers)",
      "output __jf_x2_up -> x2 by c.country",
      "feed __jf_x2 <- x2 as view",
      "view by_country = aggregate(__jf_x2)",
    ]);
  });

  it("puts a global aggregate and a top-N in one partition (an empty key), and runs them there alone", async () => {
    const plan = await planOf(`${TABLES}
      CREATE MATERIALIZED VIEW n AS SELECT count(*) AS n FROM orders;
      CREATE MATERIALIZED VIEW top AS SELECT id, amount FROM orders ORDER BY amount DESC LIMIT 3;`);
    const lines = outline(plan.steps);
    expect(lines).toContain("output __jf_x1_up -> x1 by ");
    // partitionOf([], 4) is 1: the edge sends every row there, and only there does the view run.
    expect(lines).toContain("feed __jf_x1 <- x1 as view @1");
    expect(lines).toContain("view n = aggregate(__jf_x1) @1");
    expect(lines.filter((l) => l.startsWith("view top") || l.includes("x2"))).toEqual([
      "view __jf_x2_up = project(orders)",
      "output __jf_x2_up -> x2 by ",
      "feed __jf_x2 <- x2 as view @1",
      "view top = topN(__jf_x2) @1",
    ]);
    expect(plan.relations.get("n")?.placement).toEqual([]);
  });

  it("routes by a GROUP BY expression through an added key column, dropped after the edge", async () => {
    const plan = await planOf(`${TABLES}
      CREATE MATERIALIZED VIEW by_upper AS SELECT upper(region) AS r, count(*) AS n FROM orders GROUP BY upper(region);`);
    expect(outline(plan.steps).slice(6)).toEqual([
      "view __jf_x1_up = project(orders)",
      "output __jf_x1_up -> x1 by __jf_k0",
      "feed __jf_x1 <- x1 as view",
      "view by_upper = aggregate(project(__jf_x1))",
    ]);
    expect(plan.relations.get("by_upper")?.placement).toEqual(["r"]);
  });

  it("keeps a source where its router reads it (a silent feed elsewhere): one hop of partial aggregates to a GROUP BY", async () => {
    const plan = await planOf(`${TABLES}
      CREATE SOURCE clicks (page varchar, ms int) ${WITH};
      CREATE MATERIALIZED VIEW slow AS SELECT page, ms FROM clicks WHERE ms > 100;
      CREATE MATERIALIZED VIEW per_page AS SELECT page, count(*) AS n FROM clicks GROUP BY page;`);
    expect(outline(plan.steps).slice(6)).toEqual([
      "feed clicks <-  as source @0",
      "feed clicks <-  as source @1",
      "create_source clicks @2",
      "feed clicks <-  as source @3",
      // Everywhere, empty where the source is silent; queries of it go to partition 2 alone.
      "view slow = filter(clicks)",
      // Partial counts per page cross the edge, merged (and cast back to bigint) on the other side.
      "view __jf_x1_up = aggregate(clicks)",
      "output __jf_x1_up -> x1 by page",
      "feed __jf_x1 <- x1 as view",
      "view per_page = project(aggregate(__jf_x1))",
    ]);
    const merged = plan.steps.find(
      (st) => st.kind === "statement" && "name" in st.statement && st.statement.name === "per_page",
    );
    expect(JSON.stringify(merged)).toContain('"kind":"cast"');
    expect(plan.edges).toEqual(["in0", "in1", "x1"]);
    expect(plan.relations.get("slow")?.placement).toEqual({ at: 2 });
  });

  it("runs sinks in every partition and refuses names with the hidden prefix", async () => {
    const plan = await planOf(`${TABLES}
      CREATE SINK out FROM orders WITH (connector = 'nats_kv', server_url = 'nats://127.0.0.1:1', connect_mode = 'plain', bucket = 'out');`);
    expect(outline(plan.steps).at(-1)).toBe("create_sink out");
    await expect(planOf(`CREATE TABLE __jf_t (id int, PRIMARY KEY (id)) ${WITH};`)).rejects.toThrow(/__jf_/);
  });

  it("reads a stream the server partitions in every partition, with no router, feed or edge", async () => {
    const partitionedWith = WITH.replace("subject = 's'", "subject = 'orders.*.*', group.partition_token = '2'");
    const plan = await planOf(
      `CREATE TABLE orders (id int, region varchar, amount double, PRIMARY KEY (id)) ${partitionedWith};
       CREATE SOURCE clicks (id int, page varchar) ${partitionedWith};
       CREATE MATERIALIZED VIEW per_order AS SELECT id, sum(amount) AS total FROM orders GROUP BY id;
       CREATE MATERIALIZED VIEW by_region AS SELECT region, sum(amount) AS total FROM orders GROUP BY region;`,
    );
    expect(outline(plan.steps)).toEqual([
      "create_table orders @0",
      "create_table orders @1",
      "create_table orders @2",
      "create_table orders @3",
      "create_source clicks @0",
      "create_source clicks @1",
      "create_source clicks @2",
      "create_source clicks @3",
      // Placed by the primary key already: no edge.
      "view per_order = aggregate(orders)",
      "view __jf_x1_up = orders",
      "output __jf_x1_up -> x1 by region",
      "feed __jf_x1 <- x1 as view",
      "view by_region = aggregate(__jf_x1)",
    ]);
    expect(plan.edges).toEqual(["x1"]);
    expect(plan.relations.get("orders")?.placement).toEqual(["id"]);
    expect(plan.relations.get("clicks")?.placement).toBeUndefined();
    // Partition p reads its share only: token 2 is p, and the group's key is gone.
    const withOf = (p: number, name: string) =>
      stepsOf(plan, p).flatMap((s) =>
        s.kind === "statement" &&
        s.statement.kind.startsWith("create_") &&
        "spec" in s.statement &&
        s.statement.name === name
          ? [s.statement.spec.with]
          : [],
      );
    expect(withOf(3, "orders")).toEqual([expect.objectContaining({ subject: "orders.3.*" })]);
    expect(withOf(0, "clicks")[0]?.subject).toBe("orders.0.*");
    expect(withOf(0, "clicks")[0]).not.toHaveProperty("group.partition_token");
  });

  it("refuses group.partition_token without a '*' at its token, naming the option", async () => {
    await expect(
      planOf(
        `CREATE TABLE t (id int, PRIMARY KEY (id)) ${WITH.replace("subject = 's'", "subject = 'a.b', group.partition_token = '2'")};`,
      ),
    ).rejects.toThrow(/group.partition_token = '2' needs a '\*' at token 2 of subject 'a.b'/);
  });
});
