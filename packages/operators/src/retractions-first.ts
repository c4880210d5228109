import { RETRACT } from "@jetflow/core";

/**
 * A batch's row numbers, its retractions first, each part in order: the order an operator that
 * identifies rows by their input's key visits them, so a key's update (a retraction and an
 * insert in one batch) replaces its row whichever of the two comes first.
 *
 * @example
 * ```ts
 * retractionsFirst(Int8Array.of(1, RETRACT, 1)); // Int32Array [1, 0, 2]
 * ```
 */
export function retractionsFirst(ops: Int8Array): Int32Array {
  const order = new Int32Array(ops.length);
  let at = 0;
  for (let i = 0; i < ops.length; i++) if (ops[i] === RETRACT) order[at++] = i;
  for (let i = 0; i < ops.length; i++) if (ops[i] !== RETRACT) order[at++] = i;
  return order;
}
