import { type ChangeBatch, InvalidOptionError, type SqlType, sqlField } from "@jetflow/core";
import { type Data, Schema } from "apache-arrow";
import { batchOf, fromArrow, toArrow } from "./columnar/col.js";
import { unknownColumn, unsupported } from "./errors.js";
import { sqlTypesOf } from "./expr/compile.js";
import type { ChangeOperator } from "./operator.js";
import { rowsIn } from "./columnar/columns-change.js";

/**
 * `TUMBLE(input, time_col, INTERVAL ...)`: appends `window_start = floor(t / size) * size`
 * and `window_end = window_start + size`, of the time column's type (timestamp or
 * timestamptz), so a GROUP BY window_start aggregates per window. Stateless; a NULL time
 * gives NULL windows.
 *
 * @example
 * ```ts
 * const w = tumble(schema, "ts", 60_000_000); // one-minute windows
 * ```
 * @throws ExpressionError for an unknown or non-timestamp column; InvalidOptionError for a size <= 0
 */
export function tumble(input: Schema, timeColumn: string, sizeUs: number): ChangeOperator {
  const { index, timeType, schema } = windowed(input, timeColumn, sizeUs, "TUMBLE");
  const size = BigInt(sizeUs);
  return {
    schema,
    stores: [],
    process(change: ChangeBatch): ChangeBatch | undefined {
      const n = rowsIn(change);
      if (n === 0) return undefined;
      const t = fromArrow(change.batch.data.children[index] as Data, timeType);
      const ts = t.values as BigInt64Array;
      const start = new BigInt64Array(n);
      const end = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = ts[i] as bigint;
        let r = v % size;
        if (r < 0n) r += size; // floor, not truncation, for times before 1970
        start[i] = v - r;
        end[i] = v - r + size;
      }
      const data = [
        ...(change.batch.data.children as Data[]),
        toArrow({ type: timeType, length: n, values: start, valid: t.valid }),
        toArrow({ type: timeType, length: n, values: end, valid: t.valid }),
      ];
      return { batch: batchOf(schema, data, n), ops: change.ops };
    },
  };
}

/**
 * What a window function (TUMBLE, HOP) checks of its input and adds to it: the time column's
 * index and type, and the schema with `window_start` and `window_end` appended.
 *
 * @throws ExpressionError for an unknown or non-timestamp column or a clash with the added names;
 *   InvalidOptionError for a size <= 0
 */
export function windowed(
  input: Schema,
  timeColumn: string,
  sizeUs: number,
  fn: string,
): { index: number; timeType: SqlType; schema: Schema } {
  const names = input.fields.map((f) => f.name);
  const { index, timeType } = timeColumnOf(input, timeColumn, fn);
  if (!Number.isSafeInteger(sizeUs) || sizeUs <= 0) {
    throw new InvalidOptionError(
      "size",
      `${fn} window size must be a positive whole number of microseconds, got ${sizeUs}`,
    );
  }
  for (const name of ["window_start", "window_end"]) {
    if (names.includes(name)) throw unsupported(`${fn} input already has a column "${name}"`);
  }
  const schema = new Schema([...input.fields, sqlField("window_start", timeType), sqlField("window_end", timeType)]);
  return { index, timeType, schema };
}

/**
 * The index and type of the timestamp column an operator keys time on (TUMBLE, HOP, a temporal filter).
 *
 * @throws ExpressionError for an unknown column or one that is not a timestamp or timestamptz
 */
export function timeColumnOf(input: Schema, timeColumn: string, fn: string): { index: number; timeType: SqlType } {
  const names = input.fields.map((f) => f.name);
  const index = names.indexOf(timeColumn);
  if (index < 0) throw unknownColumn(timeColumn, names);
  const timeType = sqlTypesOf(input)[index] as SqlType;
  if (timeType.kind !== "timestamp" && timeType.kind !== "timestamptz") {
    throw unsupported(`${fn} time column "${timeColumn}" must be a timestamp, not ${timeType.kind}`);
  }
  return { index, timeType };
}
