/**
 * Finds the rows of a batch that share a key: an open-addressing hash table over the rows'
 * key strings (see row-key.ts), kept in typed arrays and reused from batch to batch, so
 * grouping a batch allocates nothing per row (a `Map` per batch grows and rehashes as it
 * fills).
 *
 * @example
 * ```ts
 * const table = new KeyTable();
 * const first = table.firsts(["1,", "2,", "1,"], 3); // Int32Array [0, 1, 0]
 * ```
 */
export class KeyTable {
  private slots = new Int32Array(0);
  private firstRows = new Int32Array(0);

  /**
   * For each row `i < n`, the first row whose key equals `keys[i]` (`i` itself for the first
   * one); -1 for rows `skip` excludes. The result is reused by the next call.
   */
  firsts(keys: readonly string[], n: number, skip?: Uint8Array): Int32Array {
    const size = tableSize(n);
    if (this.slots.length !== size) this.slots = new Int32Array(size);
    else this.slots.fill(0);
    if (this.firstRows.length < n) this.firstRows = new Int32Array(Math.max(n, 2 * this.firstRows.length));
    const slots = this.slots;
    const mask = size - 1;
    const out = this.firstRows;
    for (let i = 0; i < n; i++) {
      if (skip !== undefined && skip[i] === 1) {
        out[i] = -1;
        continue;
      }
      const key = keys[i] as string;
      let s = hashOf(key) & mask;
      for (;;) {
        const at = slots[s] as number;
        if (at === 0) {
          slots[s] = i + 1;
          out[i] = i;
          break;
        }
        if (keys[at - 1] === key) {
          out[i] = at - 1;
          break;
        }
        s = (s + 1) & mask;
      }
    }
    return out;
  }
}

/** A power of two at least twice `n`, so probes stay short. */
function tableSize(n: number): number {
  let size = 16;
  while (size < 2 * n) size *= 2;
  return size;
}

/** FNV-1a over the UTF-16 units, finished with a multiply so short keys spread over the low bits. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
}
