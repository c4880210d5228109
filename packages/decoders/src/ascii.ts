/**
 * Whether bytes `start..end` of `b` hold a byte >= 0x80 (so are not plain ASCII): four bytes a
 * step, about twice as fast as one at a time on the 10-60 byte strings of a usual event.
 */
export function hasHighByte(b: Uint8Array, start: number, end: number): boolean {
  let k = start;
  for (; k + 4 <= end; k += 4) if (((b[k]! | b[k + 1]! | b[k + 2]! | b[k + 3]!) & 0x80) !== 0) return true;
  for (; k < end; k++) if (b[k]! >= 0x80) return true;
  return false;
}
