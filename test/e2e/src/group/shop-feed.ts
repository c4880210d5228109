import { type ClientOptions, publishRaw } from "../sql/publish.js";
import type { ShopNames } from "./shop-sql.js";
import { xorshift32 } from "../xorshift.js";

export interface Order {
  readonly id: number;
  readonly cust: number;
  readonly amount: number;
}

export interface Customer {
  readonly id: number;
  readonly country: string;
}

/** One publish: orders and customers (ids repeat across batches: a later one updates the row). */
export interface ShopBatch {
  readonly orders: readonly Order[];
  readonly customers: readonly Customer[];
}

/** What a batch changes: how many order events over which ids, and which customers move where. */
export interface BatchShape {
  /** Order events to make. */
  readonly orders: number;
  /** Order ids are drawn from 0..orderIds-1 (so most events of a later batch update an order). */
  readonly orderIds: number;
  /** Customer ids orders refer to are drawn from 0..customerIds-1 (some have no customer row: the inner join drops them). */
  readonly customerIds: number;
  /** Customers (re)written, with their country. */
  readonly customers: readonly Customer[];
}

/**
 * A deterministic batch (xorshift from `seed`). Amounts are multiples of 0.25 below 2^12, so
 * every sum is exact in a double and equals PostgreSQL's.
 */
export function shopBatch(seed: number, shape: BatchShape): ShopBatch {
  const next = xorshift32(seed);
  const orders = Array.from({ length: shape.orders }, () => {
    const r = next();
    return { id: r % shape.orderIds, cust: (r >>> 10) % shape.customerIds, amount: ((r >>> 4) % 16_000) / 4 };
  });
  return { orders, customers: shape.customers };
}

/**
 * Publishes batches into the shop's stream (core publish, fast; returns once the stream stored
 * them) and remembers the last value published per primary key: the final tables the views are
 * checked against.
 */
export class ShopFeed {
  private readonly orders = new Map<number, Order>();
  private readonly customers = new Map<number, Customer>();

  constructor(
    private readonly client: ClientOptions,
    private readonly names: ShopNames,
  ) {}

  async publish(batch: ShopBatch): Promise<void> {
    const { stream, subjects } = this.names;
    await publishRaw(this.client, stream, [
      ...batch.customers.map((c) => ({ subject: subjects.customers, payload: JSON.stringify(c) })),
      ...batch.orders.map((o) => ({ subject: subjects.orders, payload: JSON.stringify(o) })),
    ]);
    for (const c of batch.customers) this.customers.set(c.id, c);
    for (const o of batch.orders) this.orders.set(o.id, o);
  }

  /** The tables as they end: the last row published per primary key. */
  finalTables(): { readonly orders: Order[]; readonly customers: Customer[] } {
    return { orders: [...this.orders.values()], customers: [...this.customers.values()] };
  }
}
