/**
 * The layout of a group's KV bucket, in one place: the bucket name, its keys, and what each key
 * holds. See the package README for the protocol on top of it.
 */

/** Group and member names: one token of a key and a bucket name (letters, digits, `-`, `_`). */
export function isNameToken(s: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(s);
}

/** The KV bucket of group `group`: `jetflow_group_<group>`. */
export function groupBucket(group: string): string {
  return `jetflow_group_${group}`;
}

/** The keys of a group bucket. */
export const GroupKeys = {
  /** The group's fixed config ({@link StoredConfig}), written once with create-if-absent. */
  config: "config",
  /** The fingerprint of the pipeline the group runs (`planFingerprint`), written once with create-if-absent. */
  plan: "plan",
  /** A member's lease ({@link MemberValue}): written with a per-message TTL, renewed by compare-and-set. */
  member: (id: string) => `members.${id}`,
  /** A partition's owner ({@link PartitionValue}), changed only by compare-and-set. */
  partition: (p: number) => `partitions.${p}`,
} as const;

/** The subject a key of the bucket is written on (for publishes with headers KV's API does not take). */
export function keySubject(group: string, key: string): string {
  return `$KV.${groupBucket(group)}.${key}`;
}

/** What a key of the bucket is, from its name. */
export type ParsedKey =
  | { readonly kind: "config" }
  | { readonly kind: "plan" }
  | { readonly kind: "member"; readonly id: string }
  | { readonly kind: "partition"; readonly partition: number }
  | { readonly kind: "other" };

export function parseKey(key: string): ParsedKey {
  if (key === GroupKeys.config) return { kind: "config" };
  if (key === GroupKeys.plan) return { kind: "plan" };
  if (key.startsWith("members.")) return { kind: "member", id: key.slice("members.".length) };
  if (key.startsWith("partitions.")) {
    const partition = Number(key.slice("partitions.".length));
    if (Number.isInteger(partition)) return { kind: "partition", partition };
  }
  return { kind: "other" };
}

/** `config`: the partition count is fixed at creation. */
export interface StoredConfig {
  readonly partitions: number;
  readonly format: 1;
  readonly created_at: string;
}

/** `members.<id>`: who holds the lease. */
export interface MemberValue {
  readonly id: string;
  readonly name: string;
  readonly host: string;
  readonly pid: number;
  readonly joined_at: string;
  readonly lease_seconds: number;
}

/** `partitions.<p>`: its owner (null once released) and what the owner last wrote, fenced. */
export interface PartitionValue {
  readonly owner: string | null;
  readonly data?: unknown;
}
