import type { RecordBatch } from "apache-arrow";

/** Row op: an insert. */
export const INSERT = 1;
/** Row op: a retraction of a row inserted before. */
export const RETRACT = -1;

/**
 * The unit every operator consumes and produces: a batch of rows, each an insert or a
 * retraction. `ops[i]` is {@link INSERT} or {@link RETRACT} for row `i`; `undefined` means
 * every row is an insert. An update is RETRACT(old) then INSERT(new) in the same batch.
 */
export interface ChangeBatch {
  readonly batch: RecordBatch;
  readonly ops: Int8Array | undefined;
}

/** A ChangeBatch of inserts only. */
export function insertsOf(batch: RecordBatch): ChangeBatch {
  return { batch, ops: undefined };
}

/** The op of row `i`. */
export function opAt(change: ChangeBatch, i: number): number {
  return change.ops === undefined ? INSERT : (change.ops[i] as number);
}
