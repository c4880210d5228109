import { type ChangeBatch, RETRACT } from "@jetflow/core";
import { KeyedStore } from "@jetflow/state";
import type { Data, Schema } from "apache-arrow";
import { type Col, fromArrow } from "./columnar/col.js";
import { type Plain, PlainRowReader } from "./columnar/plain.js";
import { colKeys } from "./columnar/row-key.js";
import { RowSink } from "./columnar/row-sink.js";
import { takeChange } from "./columnar/take.js";
import { sqlTypesOf } from "./expr/compile.js";
import { type ChangeOperator, nonEmpty } from "./operator.js";
import { timeColumnOf } from "./tumble.js";
import { rowsIn } from "./columnar/columns-change.js";

/** Options of {@link temporalFilter}. */
export interface TemporalFilterOptions {
  /** The id of the operator's state store (unique within a pipeline). */
  readonly id: string;
  /** `>=` keeps a row at the window's exact edge, `>` does not. @default false */
  readonly inclusive?: boolean | undefined;
  /** The current time in microseconds since 1970. @default the wall clock */
  readonly now?: (() => bigint) | undefined;
}

/** A temporal filter: {@link ChangeOperator} plus `tick()`, which retracts the rows whose time has passed. */
export interface TemporalFilterOperator extends ChangeOperator {
  /** Retractions of the rows that left the window since the last call (undefined: none). */
  tick(): ChangeBatch | undefined;
}

/** A kept row: its values, its multiplicity, and when it leaves (µs since 1970). */
type Entry = [row: Plain[], count: number, expiresUs: bigint];

/**
 * `WHERE time_col > now() - INTERVAL '...'` (or `>=`): keeps the rows of the last `windowUs`
 * microseconds. A row enters if it is inside the window when it arrives, and is retracted by
 * `tick()` once `now` passes `time + window` (RisingWave's temporal filter). Rows already outside
 * the window, and NULL times, never enter; a retraction of a row that is not kept passes nothing.
 * State: the kept rows by exact row identity, so a checkpoint restores the window.
 * `tick()` scans the kept rows (cost proportional to the window's size).
 *
 * @example
 * ```ts
 * const lastHour = temporalFilter(schema, "ts", 3_600_000_000, { id: "v/recent" });
 * lastHour.process(change); // rows of the last hour
 * lastHour.tick();          // retractions of rows that aged out
 * ```
 * @throws ExpressionError for an unknown or non-timestamp column
 */
export function temporalFilter(
  input: Schema,
  timeColumn: string,
  windowUs: number,
  opts: TemporalFilterOptions,
): TemporalFilterOperator {
  const { index } = timeColumnOf(input, timeColumn, "a temporal filter's");
  const types = sqlTypesOf(input);
  const window = BigInt(windowUs);
  const inclusive = opts.inclusive === true;
  const now = opts.now ?? (() => BigInt(Date.now()) * 1000n);
  const store = new KeyedStore<Entry>(opts.id);
  const alive = (expiresUs: bigint, at: bigint) => (inclusive ? at <= expiresUs : at < expiresUs);

  return {
    schema: input,
    stores: [store as KeyedStore<unknown>],
    process(change: ChangeBatch): ChangeBatch | undefined {
      const n = rowsIn(change);
      if (n === 0) return undefined;
      const at = now();
      const cols: Col[] = types.map((t, c) => fromArrow(change.batch.data.children[c] as Data, t));
      const time = cols[index] as Col;
      const ids = colKeys(cols, n, false);
      const reader = new PlainRowReader(cols);
      const keep = new Int32Array(n);
      let m = 0;
      for (let i = 0; i < n; i++) {
        if (time.valid !== undefined && time.valid[i] === 0) continue;
        const id = ids[i] as string;
        const entry = store.get(id);
        if (change.ops !== undefined && change.ops[i] === RETRACT) {
          if (entry === undefined) continue;
          if (--entry[1] === 0) store.delete(id);
          else store.touch(id);
        } else {
          const expires = ((time.values as BigInt64Array)[i] as bigint) + window;
          if (!alive(expires, at)) continue;
          if (entry !== undefined) {
            entry[1]++;
            store.touch(id);
          } else store.set(id, [reader.row(i), 1, expires]);
        }
        keep[m++] = i;
      }
      return nonEmpty(takeChange(change, input, types, keep.subarray(0, m)));
    },
    tick(): ChangeBatch | undefined {
      const at = now();
      const out = new RowSink(input, types);
      for (const [id, [row, count, expires]] of store.entries()) {
        if (alive(expires, at)) continue;
        store.delete(id);
        for (let k = 0; k < count; k++) out.push(row, RETRACT);
      }
      return out.build();
    },
  };
}
