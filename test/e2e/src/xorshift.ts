/**
 * A deterministic 32-bit xorshift generator: the same seed gives the same numbers, so a test's
 * data (and what it is checked against) is the same on every run.
 * @example const next = xorshift32(7); next(); // a whole number in [0, 2^32)
 */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
