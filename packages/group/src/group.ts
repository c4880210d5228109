import { featuresOf } from "@jetflow/connector-nats";
import { InvalidOptionError, messageOf } from "@jetflow/core";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { GroupError } from "./errors.js";
import { GroupKeys, groupBucket, isNameToken, type StoredConfig } from "./group-keys.js";

/** How long a delete marker left by an expired lease stays visible to watchers. */
const MARKER_TTL_MS = 60_000;

/** What `createOrJoinGroup` needs. */
export interface GroupOptions {
  /** The group name: letters, digits, `-` and `_`. */
  readonly group: string;
  /** The partition count, fixed when the group is created; joining with another count fails. @default 16 */
  readonly partitions?: number;
}

/** An open group: its name, partition count and KV bucket. */
export interface Group {
  readonly name: string;
  readonly partitions: number;
  readonly kv: KV;
  readonly nc: NatsConnection;
}

/**
 * Refuses a server without what groups need (per-message TTL leases and priority groups:
 * nats-server 2.11+) with one line naming the version found and the one needed.
 */
export function requireGroupServer(nc: NatsConnection, group: string): void {
  const f = featuresOf(nc);
  if (!f.priorityGroups) {
    throw new GroupError(group, `group "${group}" needs nats-server 2.11 or newer (this server is ${f.version})`);
  }
}

function checkName(group: string): void {
  if (!isNameToken(group)) {
    throw new InvalidOptionError("group", `group name "${group}" may only hold letters, digits, "-" and "_"`);
  }
}

/**
 * Creates group `group` (its KV bucket and fixed config) or joins the existing one. Creating is
 * idempotent and race-free: the config key is written with create-if-absent, and whoever loses the
 * race reads the winner's config. A different partition count than the stored one is an error.
 *
 * @example
 * ```ts
 * const group = await createOrJoinGroup(nc, { group: "orders", partitions: 16 });
 * ```
 */
export async function createOrJoinGroup(nc: NatsConnection, options: GroupOptions): Promise<Group> {
  const { group } = options;
  checkName(group);
  const partitions = options.partitions ?? 16;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 4096) {
    throw new InvalidOptionError("partitions", `partitions must be a whole number from 1 to 4096, got ${partitions}`);
  }
  requireGroupServer(nc, group);
  let kv: KV;
  try {
    kv = await new Kvm(nc).create(groupBucket(group), { history: 1, markerTTL: MARKER_TTL_MS });
  } catch (e) {
    throw new GroupError(group, `cannot open the bucket of group "${group}": ${messageOf(e)}`, { cause: e });
  }
  const config: StoredConfig = { partitions, format: 1, created_at: new Date().toISOString() };
  try {
    await kv.create(GroupKeys.config, JSON.stringify(config));
    return { name: group, partitions, kv, nc };
  } catch {
    // Created already (by us earlier, or by a member that won the race): join it as stored.
  }
  const stored = await readConfig(kv, group);
  if (stored.partitions !== partitions && options.partitions !== undefined) {
    throw new GroupError(
      group,
      `group "${group}" has ${stored.partitions} partitions, not ${partitions} (the count is fixed when a group is created)`,
    );
  }
  return { name: group, partitions: stored.partitions, kv, nc };
}

/** The stored config of a group bucket; an error when the bucket has none. */
export async function readConfig(kv: KV, group: string): Promise<StoredConfig> {
  const e = await kv.get(GroupKeys.config);
  if (e === null || e.operation !== "PUT") throw new GroupError(group, `group "${group}" has no config`);
  return e.json<StoredConfig>();
}

/** Opens an existing group without creating anything; an error naming the group when it does not exist. */
export async function openGroup(nc: NatsConnection, group: string): Promise<Group> {
  checkName(group);
  requireGroupServer(nc, group);
  let kv: KV;
  try {
    kv = await new Kvm(nc).open(groupBucket(group), { bindOnly: true });
  } catch (e) {
    throw new GroupError(group, `group "${group}" does not exist: ${messageOf(e)}`, { cause: e });
  }
  try {
    const { partitions } = await readConfig(kv, group);
    return { name: group, partitions, kv, nc };
  } catch (e) {
    if (e instanceof GroupError) throw e;
    throw new GroupError(group, `group "${group}" does not exist: ${messageOf(e)}`, { cause: e });
  }
}
