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
