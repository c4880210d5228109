import v8 from "node:v8";
import vm from "node:vm";
import { type ChangeBatch, insertsOf, parseSqlType, schemaOf } from "@jetflow/core";
import { col, groupAggregate, join, MaterializedView, upsert } from "@jetflow/operators";
import {
  type Data,
  Int32,
  makeData,
  makeVector,
  RecordBatch,
  type Schema,
  Struct,
  vectorFromArray,
} from "apache-arrow";

/** The stream-table enrichment join, in process: jetflow's operators against a hand-written Map peer. */
export interface JoinRow {
  readonly events: number;
  readonly customers: number;
  /** Seconds to join and group every event (the customers table loaded before). */
  readonly seconds: number;
  readonly eventsPerSec: number;
  readonly peerSeconds: number;
  /** jetflow events/s over the peer's (>= 1.0 is the target). */
  readonly ratio: number;
  /** Heap bytes per customer row of the table and the join together (approximate: heap growth while loading; the join probes the table, so this is the table). */
  readonly stateBytesPerRow: number;
  /** Groups where jetflow and the peer disagree: must be 0. */
  readonly bad: number;
}

const ORDERS = schemaOf([
  { name: "order_id", type: parseSqlType("bigint") },
  { name: "user_id", type: parseSqlType("integer") },
  { name: "amount", type: parseSqlType("double precision") },
]);
const CUSTOMERS = schemaOf([
  { name: "user_id", type: parseSqlType("integer") },
  { name: "region", type: parseSqlType("varchar") },
]);
const REGIONS = Array.from({ length: 50 }, (_, i) => `region-${i}`);

/**
 * `SELECT c.region, count(*), sum(o.amount) FROM orders o JOIN customers FOR SYSTEM_TIME AS OF
 * PROCTIME() c ON o.user_id = c.user_id GROUP BY c.region`: `customers` rows go into the table side
 * first, then `events` orders in batches of `batchRows`. The peer is a per-message Map lookup plus
 * a Map group-by. The fastest of `passes` runs counts for each.
 */
export function runJoinBench(events: number, customers: number, batchRows = 4096, passes = 2): JoinRow {
  const customerBatches = batches(customers, batchRows, (i) => [i, REGIONS[i % REGIONS.length] as string], CUSTOMERS);
  const orderBatches = batches(events, batchRows, (i) => [BigInt(i), (i * 7919) % customers, (i % 1000) / 10], ORDERS);
  let best = Number.POSITIVE_INFINITY;
  let bestPeer = Number.POSITIVE_INFINITY;
  let stateBytesPerRow = 0;
  let bad = 0;
  for (let pass = 0; pass < passes; pass++) {
    const table = upsert(CUSTOMERS, ["user_id"], { id: "customers" });
    const j = join(ORDERS, CUSTOMERS, {
      id: "j",
      names: ["o.order_id", "o.user_id", "o.amount", "c.user_id", "c.region"],
      on: [{ left: col("o.user_id"), right: col("c.user_id") }],
      temporal: true,
      table: table.rowsByKey,
    });
    j.emitOnly(["o.amount", "c.region"]);
    const agg = groupAggregate(
      j.schema,
      [{ name: "region", expr: col("c.region") }],
      [
        { name: "n", fn: "count", arg: undefined, distinct: false },
        { name: "total", fn: "sum", arg: col("o.amount"), distinct: false },
      ],
      { id: "agg" },
    );
    // As the pipeline holds an aggregate view: stored by its group key.
    const view = new MaterializedView("v", agg.schema, { id: "v", indexBy: ["region"], unique: true });
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    for (const b of customerBatches) {
      const out = table.process(b);
      if (out !== undefined) j.process("right", out);
    }
    collectGarbage();
    stateBytesPerRow = Math.max(0, (process.memoryUsage().heapUsed - before) / customers);
    const t0 = performance.now();
    for (const b of orderBatches) {
      const joined = j.process("left", b);
      const grouped = joined === undefined ? undefined : agg.process(joined);
      if (grouped !== undefined) view.apply(grouped);
    }
    best = Math.min(best, (performance.now() - t0) / 1000);

    const peer = peerRun(customerBatches, orderBatches);
    bestPeer = Math.min(bestPeer, peer.seconds);
    bad = 0;
    const ours = new Map(view.rows().map((r): [string, Record<string, unknown>] => [r["region"] as string, r]));
    for (const [region, [n, total]] of peer.groups) {
      const row = ours.get(region);
      if (
        row === undefined ||
        Number(row["n"]) !== n ||
        Math.abs(Number(row["total"]) - total) > 1e-6 * Math.abs(total)
      )
        bad++;
    }
    if (ours.size !== peer.groups.size) bad++;
  }
  return {
    events,
    customers,
    seconds: best,
    eventsPerSec: events / best,
    peerSeconds: bestPeer,
    ratio: bestPeer / best,
    stateBytesPerRow,
    bad,
  };
}

/** A full garbage collection, so heap growth measures what is still held. */
function collectGarbage(): void {
  v8.setFlagsFromString("--expose-gc");
  (vm.runInNewContext("gc") as () => void)();
}

/** The hand-written peer: customers into a Map, then per order a lookup and a Map group-by. */
function peerRun(customerBatches: readonly ChangeBatch[], orderBatches: readonly ChangeBatch[]) {
  const regionOf = new Map<number, string>();
  for (const b of customerBatches) {
    const ids = b.batch.getChildAt(0)?.toArray() as Int32Array;
    const regions = b.batch.getChildAt(1);
    for (let i = 0; i < b.batch.numRows; i++) regionOf.set(ids[i] as number, regions?.get(i) as string);
  }
  const t0 = performance.now();
  const groups = new Map<string, [number, number]>();
  for (const b of orderBatches) {
    const users = b.batch.getChildAt(1)?.toArray() as Int32Array;
    const amounts = b.batch.getChildAt(2)?.toArray() as Float64Array;
    for (let i = 0; i < b.batch.numRows; i++) {
      const region = regionOf.get(users[i] as number);
      if (region === undefined) continue;
      const g = groups.get(region);
      if (g === undefined) groups.set(region, [1, amounts[i] as number]);
      else {
        g[0]++;
        g[1] += amounts[i] as number;
      }
    }
  }
  return { seconds: (performance.now() - t0) / 1000, groups };
}

/** `n` rows made by `row(i)`, as insert batches of `size` rows (columns: bigint, integer, double or varchar). */
function batches(n: number, size: number, row: (i: number) => unknown[], schema: Schema): ChangeBatch[] {
  const out: ChangeBatch[] = [];
  for (let start = 0; start < n; start += size) {
    const m = Math.min(size, n - start);
    const rows = Array.from({ length: m }, (_, k) => row(start + k));
    const children = schema.fields.map((f, c) => {
      const values = rows.map((r) => r[c]);
      if (typeof values[0] === "bigint") return makeVector(BigInt64Array.from(values as bigint[])).data[0] as Data;
      if (typeof values[0] === "string") return vectorFromArray(values as string[], f.type).data[0] as Data;
      const typed =
        f.type.typeId === new Int32().typeId
          ? Int32Array.from(values as number[])
          : Float64Array.from(values as number[]);
      return makeVector(typed).data[0] as Data;
    });
    const data = makeData({ type: new Struct(schema.fields), length: m, children });
    out.push(insertsOf(new RecordBatch(schema, data)));
  }
  return out;
}
