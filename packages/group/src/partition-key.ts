import { type Cell, cellAt, plainCell, type SqlType } from "@jetflow/core";
import type { Data } from "apache-arrow";
import { partitionOf } from "./partition.js";

/**
 * The text token one key value contributes to {@link partitionOf}, from the value's {@link Cell}
 * (what core prints it as), so a value read from an Arrow column (`cellAt`) and the same value as
 * operator state holds it (`plainCell`) give the same token:
 * - NULL: the empty token;
 * - boolean: `t` / `f`;
 * - smallint, integer, bigint, real, double precision: JS `String(n)` of the value (decimal
 *   digits for whole numbers, so integer `5`, bigint `5n` and double `5.0` are all `5`; a real as
 *   its shortest float4 text; `NaN`, `Infinity`);
 * - numeric: its value as a double's `String(n)` when a double holds it exactly (so `1.50` and
 *   `1.5` are both `1.5`), else its decimal text with trailing fractional zeros dropped;
 * - varchar, jsonb: the text; bytea: PostgreSQL hex, `\x0a0b`; interval: PostgreSQL text;
 * - date, time, timestamp, timestamptz: the text the CLI prints (`2024-05-01`, `12:00:00`,
 *   `2024-05-01T12:00:00.000Z`, six fraction digits when the microseconds need them);
 * - struct, list: the JSON text the CLI prints.
 */
export function keyToken(cell: Cell, type: SqlType): string {
  const key = cell.key;
  if (key === null) return "";
  switch (type.kind) {
    case "boolean":
      return key === true ? "t" : "f";
    case "numeric":
      return typeof key === "string" ? dropTrailingZeros(key) : String(key);
    case "date":
    case "time":
    case "timestamp":
    case "timestamptz":
      // Quoted JSON text of ASCII digits, dashes, colons and points: no escapes to undo.
      return cell.json.slice(1, -1);
    case "struct":
    case "list":
      return cell.json;
    default:
      return String(key);
  }
}

function dropTrailingZeros(text: string): string {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/**
 * The partition (0 to n-1) of a row whose key columns hold `values` (as operator state keeps
 * them: numbers, bigint, decimal text, bigint microseconds, ...) of SQL types `types`:
 * {@link partitionOf} over one {@link keyToken} per key column. Rows read from Arrow columns
 * ({@link partitionsOfRows}) land in the same partition.
 *
 * @example
 * ```ts
 * partitionOfRow([5, "eu"], [{ kind: "integer" }, { kind: "varchar" }], 16) === partitionOf(["5", "eu"], 16);
 * ```
 */
export function partitionOfRow(values: readonly unknown[], types: readonly SqlType[], n: number): number {
  return partitionOf(
    types.map((t, k) => keyToken(plainCell(values[k], t), t)),
    n,
  );
}

/**
 * The partition of every row of a batch by the key columns `columns` (Arrow Data of SQL types
 * `types`), the same as {@link partitionOfRow} over the rows' values.
 */
export function partitionsOfRows(
  columns: readonly Data[],
  types: readonly SqlType[],
  rows: number,
  n: number,
): Uint32Array {
  const tokens = columns.map((data, k) => columnTokens(data, types[k] as SqlType, rows));
  const out = new Uint32Array(rows);
  const row = new Array<string>(columns.length);
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < tokens.length; k++) row[k] = (tokens[k] as string[])[i] as string;
    out[i] = partitionOf(row, n);
  }
  return out;
}

const utf8 = new TextDecoder();

/**
 * The token of every row of one column: whole numbers, doubles and text straight from the Arrow
 * buffers (the common key types), every other type through its Cell.
 */
function columnTokens(data: Data, type: SqlType, rows: number): string[] {
  const out = new Array<string>(rows);
  const nulls = data.nullCount > 0;
  switch (type.kind) {
    case "smallint":
    case "integer":
    case "bigint":
    case "double precision": {
      const values = data.values as ArrayLike<number | bigint>;
      for (let i = 0; i < rows; i++) out[i] = nulls && !data.getValid(i) ? "" : String(values[i]);
      return out;
    }
    case "varchar":
    case "jsonb": {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      for (let i = 0; i < rows; i++) {
        out[i] =
          nulls && !data.getValid(i) ? "" : utf8.decode(bytes.subarray(offsets[i] as number, offsets[i + 1] as number));
      }
      return out;
    }
    default:
      for (let i = 0; i < rows; i++) out[i] = keyToken(cellAt(data, i, type), type);
      return out;
  }
}
