import type { NatsConnection } from "@nats-io/transport-node";
import { openGroup } from "./group.js";
import { type MemberValue, type PartitionValue, parseKey } from "./group-keys.js";

/** One live member as `groupStatus` reports it. */
export interface MemberStatus {
  readonly id: string;
  readonly name: string;
  readonly host: string;
  readonly pid: number;
  /** Its owned partitions, ascending. */
  readonly partitions: readonly number[];
  /** Milliseconds since its lease was last renewed (by this client's clock against the server's stamp). */
  readonly leaseAgeMs: number;
  readonly leaseSeconds: number;
}

/** A group as stored in its bucket. */
export interface GroupStatus {
  readonly group: string;
  readonly partitions: number;
  /** Live members (those holding a lease), by id. */
  readonly members: readonly MemberStatus[];
  /** Partitions no live member owns right now (during a hand-over, or with no members). */
  readonly unowned: readonly number[];
}

/**
 * Reads the members, their partitions and lease ages of group `group` (an error when it does not
 * exist). Read-only: it takes no lease and changes nothing.
 *
 * @example
 * ```ts
 * const s = await groupStatus(nc, "orders");
 * for (const m of s.members) console.log(m.id, m.partitions.join(","), m.leaseAgeMs);
 * ```
 */
export async function groupStatus(nc: NatsConnection, group: string): Promise<GroupStatus> {
  const g = await openGroup(nc, group);
  const keys: string[] = [];
  for await (const k of await g.kv.keys()) keys.push(k);
  const now = Date.now();
  const members = new Map<string, Omit<MemberStatus, "partitions"> & { partitions: number[] }>();
  const owners = new Map<number, string>();
  for (const key of keys) {
    const e = await g.kv.get(key);
    if (e === null || e.operation !== "PUT") continue;
    const parsed = parseKey(key);
    if (parsed.kind === "member") {
      const v = e.json<MemberValue>();
      members.set(v.id, {
        id: v.id,
        name: v.name,
        host: v.host,
        pid: v.pid,
        leaseSeconds: v.lease_seconds,
        leaseAgeMs: Math.max(0, now - e.created.getTime()),
        partitions: [],
      });
    } else if (parsed.kind === "partition") {
      const owner = e.json<PartitionValue>().owner;
      if (owner !== null) owners.set(parsed.partition, owner);
    }
  }
  const unowned: number[] = [];
  for (let p = 0; p < g.partitions; p++) {
    const m = members.get(owners.get(p) ?? "");
    if (m === undefined) unowned.push(p);
    else m.partitions.push(p);
  }
  return {
    group,
    partitions: g.partitions,
    members: [...members.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
    unowned,
  };
}
