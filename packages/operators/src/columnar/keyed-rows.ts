import type { SqlType } from "@jetflow/core";
import type { StoreKey } from "@jetflow/state";
import type { Plain } from "./plain.js";

/**
 * A keyed table's current rows as another operator may probe them by primary key, without a
 * copy: a join whose other side is that table, joined on its whole primary key, reads the rows
 * the table already holds (see `JoinOptions.table`). Keys are encoded as the table encodes them:
 * the number itself when `scalar` ({@link scalarKeys}), else {@link colKeys} with numeric text
 * normalized.
 *
 * @example
 * ```ts
 * const t = upsert(schema, ["id"], { id: "customers" });
 * t.rowsByKey.get(42)?.[1]; // column 1 of the row with id 42
 * ```
 */
export interface KeyedRows {
  /** The primary-key columns, as indexes into a row, in key order. */
  readonly keyColumns: readonly number[];
  /** Their types, in key order. */
  readonly keyTypes: readonly SqlType[];
  /** Whether keys are one number (a key of one numeric column). */
  readonly scalar: boolean;
  /** The row with this key, its values in column order (read only), or undefined. */
  get(key: StoreKey): readonly Plain[] | undefined;
}
