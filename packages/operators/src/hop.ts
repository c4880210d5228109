import { type ChangeBatch, InvalidOptionError } from "@jetflow/core";
import type { Data, Schema } from "apache-arrow";
import { batchOf, fromArrow, toArrow } from "./columnar/col.js";
import { takeChange } from "./columnar/take.js";
import { sqlTypesOf } from "./expr/compile.js";
import type { ChangeOperator } from "./operator.js";
import { windowed } from "./tumble.js";
import { rowsIn } from "./columnar/columns-change.js";

/**
 * `HOP(input, time_col, INTERVAL slide, INTERVAL size)`: each row once per window of `size`
 * that contains its time, windows starting every `slide` (`size / slide` copies of each row),
 * with `window_start` and `window_end` appended, as RisingWave's HOP. Stateless. A row with a
 * NULL time is in no window (dropped). `size` must be a multiple of `slide`, as RisingWave requires.
 *
 * @example
 * ```ts
 * const w = hop(schema, "ts", 60_000_000, 300_000_000); // 5-minute windows every minute
 * ```
 * @throws ExpressionError for an unknown or non-timestamp column; InvalidOptionError for sizes that do not fit
 */
export function hop(input: Schema, timeColumn: string, slideUs: number, sizeUs: number): ChangeOperator {
  const { index, timeType, schema } = windowed(input, timeColumn, sizeUs, "HOP");
  if (!Number.isSafeInteger(slideUs) || slideUs <= 0 || sizeUs % slideUs !== 0) {
    throw new InvalidOptionError(
      "slide",
      `HOP window size (${sizeUs} µs) must be a positive multiple of its slide (${slideUs} µs)`,
    );
  }
  const copies = sizeUs / slideUs;
  const slide = BigInt(slideUs);
  const size = BigInt(sizeUs);
  const types = sqlTypesOf(input);
  return {
    schema,
    stores: [],
    process(change: ChangeBatch): ChangeBatch | undefined {
      const n = rowsIn(change);
      const t = fromArrow(change.batch.data.children[index] as Data, timeType);
      const ts = t.values as BigInt64Array;
      let live = 0;
      for (let i = 0; i < n; i++) if (t.valid === undefined || t.valid[i] === 1) live++;
      if (live === 0) return undefined;
      const m = live * copies;
      const idx = new Int32Array(m);
      const start = new BigInt64Array(m);
      const end = new BigInt64Array(m);
      let j = 0;
      for (let i = 0; i < n; i++) {
        if (t.valid !== undefined && t.valid[i] === 0) continue;
        const v = ts[i] as bigint;
        let r = v % slide;
        if (r < 0n) r += slide;
        // The latest window containing v starts at floor(v / slide) * slide; the others slide back.
        for (let k = 0; k < copies; k++) {
          idx[j] = i;
          start[j] = v - r - BigInt(k) * slide;
          end[j] = (start[j] as bigint) + size;
          j++;
        }
      }
      const rows = takeChange(change, input, types, idx);
      const data = [
        ...(rows.batch.data.children as Data[]),
        toArrow({ type: timeType, length: m, values: start, valid: undefined }),
        toArrow({ type: timeType, length: m, values: end, valid: undefined }),
      ];
      return { batch: batchOf(schema, data, m), ops: rows.ops };
    },
  };
}
