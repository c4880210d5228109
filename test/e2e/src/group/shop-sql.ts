/**
 * The shop the group tests run: two tables read from one stream, and views that place their rows
 * every way a group can (by a joined non-key column, by a table's non-key column, in a single
 * partition), plus a KV sink. The table columns and view queries are written once, for both
 * jetflow and PostgreSQL (the reference).
 */

/**
 * The names one run of the shop uses (its stream, subjects, KV bucket, group and state bucket),
 * all made from one tag: a test run again (vitest's retry) starts from nothing.
 */
export interface ShopNames {
  readonly tag: string;
  readonly stream: string;
  readonly subjects: { readonly orders: string; readonly customers: string };
  /** The KV bucket the sink over `by_country` writes: one key per country, its row as the value. */
  readonly kvBucket: string;
  readonly group: string;
  readonly stateBucket: string;
}

let runs = 0;

/** Fresh names for one run, from `label` (letters, digits, `_`). */
export function shopNames(label: string): ShopNames {
  const tag = `${label}_${++runs}_${Date.now().toString(36)}`;
  return {
    tag,
    stream: `SHOP_${tag}`,
    subjects: { orders: `${tag}.orders`, customers: `${tag}.customers` },
    kvBucket: `${tag}_by_country`,
    group: tag,
    stateBucket: `${tag}-state`,
  };
}

/** The tables: their columns, in PostgreSQL's and jetflow's shared spelling. */
export const SHOP_TABLES = {
  orders: "id int PRIMARY KEY, cust int, amount double precision",
  customers: "id int PRIMARY KEY, country varchar",
} as const;
export type ShopTable = keyof typeof SHOP_TABLES;

/** The views, each the same SELECT in jetflow and in PostgreSQL. */
export const SHOP_VIEWS = {
  /** Grouped by a column of the joined table: data is re-keyed twice (join key, then country). */
  by_country:
    "SELECT c.country, count(*) AS orders, sum(o.amount) AS total FROM orders o JOIN customers c ON o.cust = c.id GROUP BY c.country",
  /** Grouped by a non-key column of one table. */
  per_customer: "SELECT cust, count(*) AS n, max(amount) AS biggest FROM orders GROUP BY cust",
  /** A global aggregate: lives in one partition. */
  everything: "SELECT count(*) AS n, sum(amount) AS total FROM orders",
} as const;
export type ShopView = keyof typeof SHOP_VIEWS;

/** The pipeline's SQL file for the shop `names`, reading from the server at `url`. */
export function shopPipelineSql(url: string, names: ShopNames): string {
  const nats = `connector = 'nats', server_url = '${url}', connect_mode = 'plain'`;
  const tables = Object.entries(SHOP_TABLES).map(
    ([name, columns]) =>
      `CREATE TABLE ${name} (${columns}) WITH (${nats}, subject = '${names.subjects[name as ShopTable]}', stream = '${names.stream}') FORMAT PLAIN ENCODE JSON;`,
  );
  const views = Object.entries(SHOP_VIEWS).map(([name, select]) => `CREATE MATERIALIZED VIEW ${name} AS ${select};`);
  const sink = `CREATE SINK by_country_kv FROM by_country WITH (${nats.replace("'nats'", "'nats_kv'")}, bucket = '${names.kvBucket}');`;
  return [...tables, ...views, sink, ""].join("\n");
}
