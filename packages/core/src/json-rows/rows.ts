import { type ColumnDef, columnsOf } from "../column.js";
import type { RecordBatch, Table } from "apache-arrow";
import { type Cell, cellAt } from "./cell.js";

/** The rows of a table as cells, sorted by all columns in order (NULLs last), as the CLI prints them. */
export function sortedCells(table: Table): { names: string[]; rows: Cell[][] } {
  const columns = columnsOf(table.schema);
  const rows: Cell[][] = [];
  for (const batch of table.batches) batchCells(batch, columns, rows);
  rows.sort(compareRows);
  return { names: columns.map((c) => c.name), rows };
}

/** Appends the cells of every row of `batch` (whose columns are `columns`) to `out`, unsorted. */
export function batchCells(batch: RecordBatch, columns: readonly ColumnDef[], out: Cell[][] = []): Cell[][] {
  const datas = columns.map((_, c) => batch.data.children[c]);
  for (let i = 0; i < batch.numRows; i++) {
    out.push(
      columns.map((col, c) => (datas[c] === undefined ? { json: "null", key: null } : cellAt(datas[c], i, col.type))),
    );
  }
  return out;
}

/** JSON Lines: one object per row, keys = column names, rows sorted by all columns. */
export function toJsonLines(table: Table): string {
  const { names, rows } = sortedCells(table);
  const keys = jsonKeys(names);
  return rows.map((row) => `${rowJson(keys, row)}\n`).join("");
}

/** The JSON texts of column names, for {@link rowJson}. */
export function jsonKeys(names: readonly string[]): string[] {
  return names.map((n) => JSON.stringify(n));
}

/** One row as a JSON object text: `keys` from {@link jsonKeys}, cells from {@link cellAt}, in column order. */
export function rowJson(keys: readonly string[], row: readonly Cell[]): string {
  return `{${row.map((cell, c) => `${keys[c]}:${cell.json}`).join(",")}}`;
}

/** The order rows print in: by all columns in order, NULLs last, text in code point order. */
export function compareRows(a: readonly Cell[], b: readonly Cell[]): number {
  for (let c = 0; c < a.length; c++) {
    const d = compareKeys((a[c] as Cell).key, (b[c] as Cell).key);
    if (d !== 0) return d;
  }
  return 0;
}

function compareKeys(x: Cell["key"], y: Cell["key"]): number {
  if (x === y) return 0;
  if (x === null) return 1;
  if (y === null) return -1;
  if (typeof x === "string" && typeof y === "string") return compareCodePoints(x, y);
  if (typeof x === "boolean" || typeof y === "boolean") return Number(x) - Number(y);
  if (typeof x === "number" && Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1; // NaN sorts after numbers, as in PostgreSQL
  if (typeof y === "number" && Number.isNaN(y)) return -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Code point order (PostgreSQL's C collation, UTF-8 byte order). JavaScript's `<` compares UTF-16
 * code units, which puts U+1F680 (a surrogate pair, 0xD83D...) before U+FF58.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Surrogates (0xD800-0xDFFF) stand for code points above every other code unit. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
