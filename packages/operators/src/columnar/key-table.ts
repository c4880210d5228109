import type { StoreKey } from "@jetflow/state";
import type { Data } from "apache-arrow";

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
  private readonly strings = new Map<string, number>();

  /**
   * For each row `i < n`, the first row whose key equals `keys[i]` (`i` itself for the first
   * one); -1 for rows `skip` excludes. The result is reused by the next call.
   */
  firsts(keys: readonly StoreKey[], n: number, skip?: Uint8Array): Int32Array {
    const { slots, mask, out } = this.reset(n);
    for (let i = 0; i < n; i++) {
      if (skip !== undefined && skip[i] === 1) {
        out[i] = -1;
        continue;
      }
      const key = keys[i] as StoreKey;
      let s = (typeof key === "number" ? hashOfNumber(key) : hashOf(key)) & mask;
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

  /**
   * {@link firsts} for one UTF-8 column (Arrow Utf8 data, maybe sliced): rows are grouped by
   * their bytes, with no string made per row. Equal bytes are equal text (the data is valid
   * UTF-8), so the groups are those of the text's key strings; NULLs form one group.
   */
  firstsOfText(data: Data, n: number): Int32Array {
    const { slots, mask, out } = this.reset(n);
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const bits = data.nullCount > 0 ? (data.nullBitmap as Uint8Array) : undefined;
    const base = data.offset;
    let firstNull = -1;
    for (let i = 0; i < n; i++) {
      const at = base + i;
      if (bits !== undefined && ((bits[at >> 3] as number) & (1 << (at & 7))) === 0) {
        if (firstNull < 0) firstNull = i;
        out[i] = firstNull;
        continue;
      }
      // Arrow slices the offsets with the data; only the validity bitmap keeps the data's offset.
      const start = offsets[i] as number;
      const end = offsets[i + 1] as number;
      let h = 0x811c9dc5;
      for (let k = start; k < end; k++) h = Math.imul(h ^ (bytes[k] as number), 0x01000193);
      let s = (Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0) & mask;
      for (;;) {
        const row = slots[s] as number;
        if (row === 0) {
          slots[s] = i + 1;
          out[i] = i;
          break;
        }
        const other = row - 1;
        const otherStart = offsets[other] as number;
        if ((offsets[other + 1] as number) - otherStart === end - start) {
          let k = 0;
          while (start + k < end && bytes[start + k] === bytes[otherStart + k]) k++;
          if (start + k === end) {
            out[i] = row - 1;
            break;
          }
        }
        s = (s + 1) & mask;
      }
    }
    return out;
  }

  /**
   * {@link firsts} for one column of JS strings (NULL where `valid` says 0): a reused `Map`, so
   * a string made once and interned (the usual text from a table or a decoder) is hashed once
   * by the engine, not once per row; NULLs form one group.
   */
  firstsOfStrings(values: readonly string[], valid: Uint8Array | undefined, n: number): Int32Array {
    const out = this.results(n);
    const seen = this.strings;
    seen.clear();
    let firstNull = -1;
    for (let i = 0; i < n; i++) {
      if (valid !== undefined && valid[i] === 0) {
        if (firstNull < 0) firstNull = i;
        out[i] = firstNull;
        continue;
      }
      const s = values[i] as string;
      const first = seen.get(s);
      if (first === undefined) {
        seen.set(s, i);
        out[i] = i;
      } else out[i] = first;
    }
    return out;
  }

  /** Empties the table for `n` rows: slots sized for them and zeroed, the result array large enough. */
  private reset(n: number): { slots: Int32Array; mask: number; out: Int32Array } {
    const size = tableSize(n);
    if (this.slots.length !== size) this.slots = new Int32Array(size);
    else this.slots.fill(0);
    return { slots: this.slots, mask: size - 1, out: this.results(n) };
  }

  /** The result array, at least `n` long, reused from call to call. */
  private results(n: number): Int32Array {
    if (this.firstRows.length < n) this.firstRows = new Int32Array(Math.max(n, 2 * this.firstRows.length));
    return this.firstRows;
  }
}

/** A power of two at least twice `n`, so probes stay short. */
function tableSize(n: number): number {
  let size = 16;
  while (size < 2 * n) size *= 2;
  return size;
}

const F64 = new Float64Array(1);
const F64_WORDS = new Int32Array(F64.buffer);

/** A number key's hash: an int32 mixed, else its two 32-bit halves (-0 takes the int32 path, as 0). */
function hashOfNumber(key: number): number {
  if ((key | 0) === key) return Math.imul(key ^ (key >>> 15), 0x2c1b3c6d) >>> 0;
  F64[0] = key;
  const h = Math.imul((F64_WORDS[0] as number) ^ Math.imul(F64_WORDS[1] as number, 0x01000193), 0x2c1b3c6d);
  return (h ^ (h >>> 15)) >>> 0;
}

/** FNV-1a over the UTF-16 units, finished with a multiply so short keys spread over the low bits. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
}
