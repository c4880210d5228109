import type { Pipeline } from "@jetflow/pipeline";

/**
 * A row as one line of JSON (bigint as a number), how the examples print what a view holds.
 *
 * @example
 * ```ts
 * for (const row of p.view("revenue").rows()) console.log(rowText(row));
 * ```
 */
export function rowText(row: Record<string, unknown>): string {
  return JSON.stringify(row, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v));
}

/**
 * Runs a pipeline until it has read what its streams hold, logs one view's rows, stops it and
 * returns the rows: the whole life of an example that prints a view once.
 *
 * @example
 * ```ts
 * const rows = await printViewOnce(sqlPipeline().sql(text), "slow_pages", console.log);
 * ```
 */
export async function printViewOnce(
  p: Pipeline,
  view: string,
  log: (line: string) => void,
): Promise<Record<string, unknown>[]> {
  await p.start();
  await p.caughtUp();
  const rows = p.view(view).rows();
  for (const row of rows) log(rowText(row));
  await p.stop();
  return rows;
}
