import type { Table } from "apache-arrow";
import { sortedCells } from "@jetflow/core";

/** Beyond this many rows a bounded display shows the first rows as stored instead of sorting them all. */
const SORT_LIMIT = 5_000;

/**
 * A psql-like text table of the rows, sorted, at most `maxRows` of them. A live display redraws
 * often, so with a bound and more than {@link SORT_LIMIT} rows it shows the first rows unsorted
 * rather than converting and sorting the whole relation every frame.
 */
export function toTextTable(table: Table, maxRows = Number.POSITIVE_INFINITY): string {
  const total = table.numRows;
  const unsorted = Number.isFinite(maxRows) && total > SORT_LIMIT;
  const { names, rows } = sortedCells(unsorted ? table.slice(0, maxRows) : table);
  const shown = rows.slice(0, maxRows).map((row) => row.map((cell) => display(cell.json)));
  const widths = names.map((n, c) => Math.max(n.length, ...shown.map((r) => (r[c] as string).length)));
  const line = (cells: string[]) => ` ${cells.map((s, c) => s.padEnd(widths[c] as number)).join(" | ")}`.trimEnd();
  const out = [line(names), `-${widths.map((w) => "-".repeat(w)).join("-+-")}-`, ...shown.map(line)];
  const more = total - shown.length;
  const note = unsorted ? `, the first ${shown.length} as stored` : `, ${more} not shown`;
  out.push(more > 0 ? `(${total} rows${note})` : `(${total} row${total === 1 ? "" : "s"})`);
  return `${out.join("\n")}\n`;
}

/** Strings without their JSON quotes; everything else as JSON. */
function display(json: string): string {
  if (json === "null") return "";
  return json.startsWith('"') ? (JSON.parse(json) as string) : json;
}
