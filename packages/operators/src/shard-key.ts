/**
 * The shard of `shards` that owns a key: FNV-1a 32 over its UTF-16 code units, mod `shards`.
 * Rows and checkpointed entries are routed by the same function, so state taken with one number
 * of shards restores into any other.
 *
 * @example
 * ```ts
 * shardOfKey("3,", 4); // 0..3, the same in every thread and every run
 * ```
 */
export function shardOfKey(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}
