import { parseSqlType, sqlField } from "@jetflow/core";
import {
  type ChangeOperator,
  col,
  groupAggregate,
  MaterializedView,
  type UpsertOperator,
  upsert,
} from "@jetflow/operators";
import type { StateChunk } from "@jetflow/state";
import { Schema } from "apache-arrow";

/**
 * The query of the two-stage reference dataflow, as operators:
 * `SELECT region, count(*) AS orders, sum(amount) AS amount FROM orders GROUP BY region`, where
 * `orders` is a table keyed by `id` (the last write of an id wins). Stage 1 is the table (keyed
 * by `id`), stage 2 the aggregate and its view (keyed by `region`), so an exchange edge sits
 * between them. Every member builds the same operators, so their store ids match across owners.
 */

/** The columns of an order event, `{"id": 1, "region": "eu", "amount": 5}`, as the decoder reads them. */
export const ORDER_COLUMNS = { id: "integer", region: "varchar", amount: "integer" } as const;

/** The table's name, as queries name it (`queryGroup`); keyed and partitioned by `id`. */
export const ORDERS_TABLE = "orders";

/** The view's name, as queries name it; partitioned by `region`. */
export const REGION_VIEW = "by_region";

/** The view's columns: `[region, orders, amount]`, one row per region. */
export const REGION_VIEW_COLUMNS = ["region", "orders", "amount"] as const;

/** The position of `region` in the table's changes: the exchange routes rows by it. */
export const REGION_COLUMN = 1;

/** The orders' schema as the JSON decoder builds it. */
export function ordersSchema(): Schema {
  return new Schema(Object.entries(ORDER_COLUMNS).map(([name, type]) => sqlField(name, parseSqlType(type, name))));
}

/** Stage 1: the orders table (its stores are the stage's state). */
export function ordersTable(schema: Schema): UpsertOperator {
  return upsert(schema, ["id"], { id: "orders" });
}

/** Stage 2: the aggregate over the table's changes and the view of its result (the stage's state). */
export interface RegionTotals {
  readonly aggregate: ChangeOperator;
  readonly view: MaterializedView;
}

export function regionTotals(schema: Schema): RegionTotals {
  const aggregate = groupAggregate(
    schema,
    [{ name: "region", expr: col("region") }],
    [
      { name: "orders", fn: "count", arg: undefined, distinct: false },
      { name: "amount", fn: "sum", arg: col("amount"), distinct: false },
    ],
    { id: "by_region" },
  );
  return { aggregate, view: new MaterializedView("by_region", aggregate.schema, { id: "view:by_region" }) };
}

/** One region's totals, as a user reads them. */
export interface RegionRow {
  readonly region: string;
  readonly orders: number;
  readonly amount: number;
}

/** The rows of a region view restored from its checkpointed store chunk. */
export function regionRowsOf(chunks: readonly StateChunk[]): RegionRow[] {
  const { view } = regionTotals(ordersSchema());
  view.store.restore(chunks.filter((c) => c.storeId === view.store.id));
  view.restored();
  return view.rows().map((r) => ({
    region: String(r["region"]),
    orders: Number(r["orders"]),
    amount: Number(r["amount"]),
  }));
}
