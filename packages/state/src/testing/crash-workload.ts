import { KeyedStore } from "../keyed-store.js";

const KEYS = 20_000;

/**
 * Applies "message" `seq` to the two stores of the crash test: overwrites, deletes and a running
 * total, all a deterministic function of the messages seen, so the state after messages 1..n can be
 * recomputed and compared exactly with what a checkpoint restores.
 */
export function applyMessage(seq: number, table: KeyedStore<unknown>, totals: KeyedStore<unknown>): void {
  const key = `k${(seq * 7919) % KEYS}`;
  if (seq % 5 === 0) table.delete(key);
  else table.set(key, [seq, `value-${seq}`, BigInt(seq) * 3n]);
  totals.set("count", ((totals.get("count") as bigint | undefined) ?? 0n) + 1n);
  totals.set(`last${seq % 10}`, seq);
}

/** The stores' contents after messages 1..n. */
export function expectedAfter(n: number): Map<string, Map<string, unknown>> {
  const table = new KeyedStore<unknown>("table");
  const totals = new KeyedStore<unknown>("totals");
  for (let seq = 1; seq <= n; seq++) applyMessage(seq, table, totals);
  return new Map([
    ["table", new Map(table.entries())],
    ["totals", new Map(totals.entries())],
  ]);
}
