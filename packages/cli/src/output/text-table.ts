import type { Table } from "apache-arrow";
import { sortedCells } from "./rows.js";

/** A psql-like text table of the rows (sorted), at most `maxRows` of them. */
export function toTextTable(table: Table, maxRows = Number.POSITIVE_INFINITY): string {
  const { names, rows } = sortedCells(table);
  const shown = rows.slice(0, maxRows).map((row) => row.map((cell) => display(cell.json)));
  const widths = names.map((n, c) => Math.max(n.length, ...shown.map((r) => (r[c] as string).length)));
  const line = (cells: string[]) => ` ${cells.map((s, c) => s.padEnd(widths[c] as number)).join(" | ")}`.trimEnd();
  const out = [line(names), `-${widths.map((w) => "-".repeat(w)).join("-+-")}-`, ...shown.map(line)];
  const more = rows.length - shown.length;
  out.push(
    more > 0 ? `(${rows.length} rows, ${more} not shown)` : `(${rows.length} row${rows.length === 1 ? "" : "s"})`,
  );
  return `${out.join("\n")}\n`;
}

/** Strings without their JSON quotes; everything else as JSON. */
function display(json: string): string {
  if (json === "null") return "";
  return json.startsWith('"') ? (JSON.parse(json) as string) : json;
}
