import { fnv1a32 } from "./partition.js";

const encoder = new TextEncoder();

/** The weight of `member` for `partition`: FNV-1a, then murmur3's finalizer to spread the bits. */
function weight(member: string, partition: number): number {
  let h = fnv1a32(encoder.encode(`${member}/${partition}`));
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Spreads partitions 0..n-1 over the members by rendezvous (highest-random-weight) hashing with
 * bounded loads: every member ends with floor(n/m) or ceil(n/m) partitions, and a member joining
 * or leaving moves few partitions, since each partition still goes to its highest-weight member
 * that has room. Deterministic: every member computes the same answer from the same member set.
 * Returns member -> ascending partitions (every member listed, possibly with none).
 *
 * @example
 * ```ts
 * assignPartitions(["a", "b", "c"], 16); // Map { a => [...5 or 6], b => [...], c => [...] }
 * ```
 */
export function assignPartitions(members: readonly string[], n: number): Map<string, number[]> {
  const ids = [...new Set(members)].sort();
  const out = new Map<string, number[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const base = Math.floor(n / ids.length);
  let extra = n % ids.length;
  const pairs: { member: string; partition: number; w: number }[] = [];
  for (let p = 0; p < n; p++) for (const member of ids) pairs.push({ member, partition: p, w: weight(member, p) });
  pairs.sort((a, b) => b.w - a.w || (a.member < b.member ? -1 : a.member > b.member ? 1 : a.partition - b.partition));
  const taken = new Set<number>();
  for (const { member, partition } of pairs) {
    if (taken.has(partition)) continue;
    const mine = out.get(member)!;
    if (mine.length < base) mine.push(partition);
    else if (mine.length === base && extra > 0) {
      mine.push(partition);
      extra--;
    } else continue;
    taken.add(partition);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}
