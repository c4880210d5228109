/**
 * A view's rows (or PostgreSQL's) as sorted JSON lines, keys sorted and bigints as numbers, so two
 * sets of rows compare with `toEqual` whatever their order and integer representation.
 * @example expect(canonicalRows(p.view("v").rows())).toEqual(canonicalRows(pgRows))
 */
export function canonicalRows(rows: readonly Record<string, unknown>[]): string[] {
  return rows
    .map((r) =>
      JSON.stringify(
        Object.keys(r)
          .sort()
          .map((k) => [k, typeof r[k] === "bigint" ? Number(r[k]) : r[k]]),
      ),
    )
    .sort();
}
