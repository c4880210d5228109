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
  let h = 0x811c9dc5;
  for (const t of tokens) h = fnv1a32Utf8(h, t);
  return h % n;
}

/**
 * FNV-1a from state `h` over the UTF-8 bytes of `text`, without encoding it into a buffer (a
 * router hashes every row's key): code points are turned into their UTF-8 bytes as they come.
 * A lone surrogate hashes as U+FFFD, as `TextEncoder` would encode it.
 */
function fnv1a32Utf8(h: number, text: string): number {
  const step = (b: number) => {
    h = Math.imul(h ^ b, 0x01000193) >>> 0;
  };
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, 0x01000193) >>> 0;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else c = 0xfffd;
    }
    if (c < 0x800) {
      step(0xc0 | (c >> 6));
    } else if (c < 0x10000) {
      step(0xe0 | (c >> 12));
      step(0x80 | ((c >> 6) & 0x3f));
    } else {
      step(0xf0 | (c >> 18));
      step(0x80 | ((c >> 12) & 0x3f));
      step(0x80 | ((c >> 6) & 0x3f));
    }
    step(0x80 | (c & 0x3f));
  }
  return h;
}
