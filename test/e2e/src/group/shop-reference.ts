import { ReferenceSql, sortRows } from "../reference-sql.js";
import type { ShopFeed } from "./shop-feed.js";
import { SHOP_TABLES, SHOP_VIEWS, type ShopView } from "./shop-sql.js";

/** PostgreSQL's answer for one view: its rows (sorted as `--print` sorts them) and those rows as `--print` prints them. */
export interface ExpectedView {
  readonly rows: Record<string, unknown>[];
  readonly jsonLines: string;
}

/**
 * What every view must hold once the group caught up: PostgreSQL (PGlite) runs the same SELECTs
 * over the final tables (the last row published per primary key).
 */
export async function expectedShop(feed: ShopFeed): Promise<Record<ShopView, ExpectedView>> {
  const db = await ReferenceSql.open();
  try {
    const final = feed.finalTables();
    await db.exec(`CREATE TABLE orders (${SHOP_TABLES.orders}); CREATE TABLE customers (${SHOP_TABLES.customers});`);
    await db.insert("orders", ["id", "cust", "amount"], final.orders as unknown as Record<string, unknown>[]);
    await db.insert("customers", ["id", "country"], final.customers as unknown as Record<string, unknown>[]);
    const out: Partial<Record<ShopView, ExpectedView>> = {};
    for (const [view, select] of Object.entries(SHOP_VIEWS) as [ShopView, string][]) {
      const rows = sortRows(await db.rows(select));
      out[view] = { rows, jsonLines: rows.map((r) => `${JSON.stringify(r)}\n`).join("") };
    }
    return out as Record<ShopView, ExpectedView>;
  } finally {
    await db.close();
  }
}
