/**
 * A hash table from 32-bit integer keys to slot numbers (non-negative integers), in two typed
 * arrays with open addressing: a probe is a multiply, a shift and usually one array read, where a
 * `Map` follows a bucket to a chained entry (two dependent reads, ~30 bytes per key). Linear
 * probing; a delete shifts the entries after it back, so there are no tombstones. At most half
 * full.
 *
 * @example
 * ```ts
 * const slots = new IntSlots();
 * slots.set(42, 0);
 * slots.get(42); // 0
 * slots.get(7); // -1
 * ```
 */
export class IntSlots {
  private keys: Int32Array;
  /** The slot stored at each position; -1: empty. */
  private values: Int32Array;
  private shift: number;
  private count = 0;

  constructor() {
    this.keys = new Int32Array(INITIAL);
    this.values = new Int32Array(INITIAL).fill(-1);
    this.shift = 32 - Math.log2(INITIAL);
  }

  get size(): number {
    return this.count;
  }

  /** The slot of `key`, or -1. */
  get(key: number): number {
    const keys = this.keys;
    const values = this.values;
    const mask = values.length - 1;
    for (let at = Math.imul(key, GOLDEN) >>> this.shift; ; at = (at + 1) & mask) {
      const v = values[at] as number;
      if (v === -1 || keys[at] === key) return v;
    }
  }

  /** Stores `slot` (>= 0) under `key`, replacing what was there. */
  set(key: number, slot: number): void {
    if (2 * (this.count + 1) > this.values.length) this.grow();
    const keys = this.keys;
    const values = this.values;
    const mask = values.length - 1;
    for (let at = Math.imul(key, GOLDEN) >>> this.shift; ; at = (at + 1) & mask) {
      const v = values[at] as number;
      if (v === -1) {
        keys[at] = key;
        values[at] = slot;
        this.count++;
        return;
      }
      if (keys[at] === key) {
        values[at] = slot;
        return;
      }
    }
  }

  /** Removes `key`; whether it was there. */
  delete(key: number): boolean {
    const keys = this.keys;
    const values = this.values;
    const mask = values.length - 1;
    let at = Math.imul(key, GOLDEN) >>> this.shift;
    for (; ; at = (at + 1) & mask) {
      const v = values[at] as number;
      if (v === -1) return false;
      if (keys[at] === key) break;
    }
    // Shift back every later entry of the run whose home is not between the hole and itself.
    let hole = at;
    for (let next = (hole + 1) & mask; values[next] !== -1; next = (next + 1) & mask) {
      const home = Math.imul(keys[next] as number, GOLDEN) >>> this.shift;
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (stays) continue;
      keys[hole] = keys[next] as number;
      values[hole] = values[next] as number;
      hole = next;
    }
    values[hole] = -1;
    this.count--;
    return true;
  }

  clear(): void {
    this.keys = new Int32Array(INITIAL);
    this.values = new Int32Array(INITIAL).fill(-1);
    this.shift = 32 - Math.log2(INITIAL);
    this.count = 0;
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    const size = values.length * 2;
    this.keys = new Int32Array(size);
    this.values = new Int32Array(size).fill(-1);
    this.shift--;
    this.count = 0;
    for (let at = 0; at < values.length; at++) {
      const v = values[at] as number;
      if (v !== -1) this.set(keys[at] as number, v);
    }
  }
}

const INITIAL = 16;
/** 2^32 / golden ratio: Fibonacci hashing spreads consecutive keys over the table. */
const GOLDEN = 0x9e3779b1;
