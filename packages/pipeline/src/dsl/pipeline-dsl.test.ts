import { InvalidOptionError } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { QueryError, RelationNameError } from "../errors.js";
import { pipeline } from "../pipeline.js";
import { nats } from "./nats.js";
import { from } from "./query.js";
import { sum } from "./aggregate.js";
import { col } from "./value.js";

// Nothing listens on port 1: a definition error must surface before any connection is tried.
const orders = {
  columns: { id: "int", region: "varchar", amount: "double" },
  primaryKey: "id",
  with: nats({ servers: "nats://127.0.0.1:1", subject: "shop.orders", stream: "shop" }),
} as const;

describe("a pipeline defined with the DSL", () => {
  it("checks WITH options when the table is defined, naming the WITH key", () => {
    const bad = nats({ servers: "nats://127.0.0.1:1", subject: "a", stream: "s", consumer: { maxBatch: 0 } });
    expect(() => pipeline().table("orders", { ...orders, with: bad })).toThrow(InvalidOptionError);
    expect(() => pipeline().table("orders", { ...orders, with: bad })).toThrow(/consumer\.max_batch/);
  });

  it("plans views at start(), before connecting, naming the column or rule at fault", async () => {
    const unknown = pipeline().table("orders", orders).materializedView("v", from("orders").select("price"));
    await expect(unknown.start()).rejects.toThrow(RelationNameError);
    await expect(
      pipeline().table("orders", orders).materializedView("v", from("orders").select("price")).start(),
    ).rejects.toThrow(/column "price" does not exist \(columns: id, region, amount\)/);
    const ungrouped = from("orders")
      .groupBy("region")
      .select("id", { s: sum(col("amount")) });
    await expect(pipeline().table("orders", orders).materializedView("v", ungrouped).start()).rejects.toThrow(
      QueryError,
    );
  });

  it("resolves names in definition order: a view may read only what is defined above it", async () => {
    const p = pipeline().materializedView("v", from("orders")).table("orders", orders);
    await expect(p.start()).rejects.toThrow(/relation "orders" does not exist/);
  });
});
