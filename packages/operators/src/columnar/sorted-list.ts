/**
 * An ordered set in chunks of at most {@link CHUNK} items: insert and delete cost a binary
 * search plus a splice inside one chunk, so keeping millions of values ordered stays cheap
 * per row (a flat sorted array would move half of the state on every insert).
 * It is a derived, in-memory index: operators rebuild it from their stores after a restore.
 */
const CHUNK = 512;

export class SortedList<T> {
  private chunks: T[][] = [];
  private count = 0;

  constructor(private readonly cmp: (a: T, b: T) => number) {}

  get size(): number {
    return this.count;
  }

  /** Index of the chunk that holds (or would hold) `v`. */
  private chunkFor(v: T): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = this.chunks[mid] as T[];
      if (this.cmp(c[c.length - 1] as T, v) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private static position<T>(chunk: T[], v: T, cmp: (a: T, b: T) => number): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(chunk[mid] as T, v) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds `v`; false when an equal item is already there. */
  insert(v: T): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([v]);
      this.count = 1;
      return true;
    }
    const ci = this.chunkFor(v);
    const chunk = this.chunks[ci] as T[];
    const pos = SortedList.position(chunk, v, this.cmp);
    if (pos < chunk.length && this.cmp(chunk[pos] as T, v) === 0) return false;
    chunk.splice(pos, 0, v);
    this.count++;
    if (chunk.length > CHUNK) this.chunks.splice(ci + 1, 0, chunk.splice(CHUNK >> 1));
    return true;
  }

  /** Removes the item equal to `v`; false when there is none. */
  delete(v: T): boolean {
    if (this.chunks.length === 0) return false;
    const ci = this.chunkFor(v);
    const chunk = this.chunks[ci] as T[];
    const pos = SortedList.position(chunk, v, this.cmp);
    if (pos >= chunk.length || this.cmp(chunk[pos] as T, v) !== 0) return false;
    chunk.splice(pos, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(ci, 1);
    return true;
  }

  first(): T | undefined {
    return this.chunks[0]?.[0];
  }

  last(): T | undefined {
    const c = this.chunks[this.chunks.length - 1];
    return c?.[c.length - 1];
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (const chunk of this.chunks) yield* chunk;
  }

  clear(): void {
    this.chunks = [];
    this.count = 0;
  }
}
