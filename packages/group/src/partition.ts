const encoder = new TextEncoder();

/** FNV-1a, 32 bits, over bytes: the hash nats-server's `partition()` subject mapping uses. */
export function fnv1a32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/**
 * The partition (0 to n-1) of a key given as subject tokens, equal to what the server's
 * `{{partition(n, i, j, ...)}}` mapping yields for a subject whose tokens i, j, ... are these:
 * the server hashes the selected tokens concatenated without a separator, so a client and a
 * stream transform agree on where a key lives.
 *
 * @example
 * ```ts
 * partitionOf(["eu", "42"], 16); // the token `{{partition(16,2,3)}}` gives `orders.eu.42`
 * ```
 */
export function partitionOf(tokens: readonly string[], n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`partition count must be a whole number >= 1, got ${n}`);
  return fnv1a32(encoder.encode(tokens.join(""))) % n;
}
