import { messageOf } from "@jetflow/core";
import { jetstreamManager } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { GroupError } from "./errors.js";
import { exchangeStreamName } from "./exchange-stream.js";
import { openGroup } from "./group.js";
import { groupStatus } from "./group-status.js";

/** What {@link deleteGroup} removed. */
export interface DeletedGroup {
  readonly group: string;
  /** Whether the exchange stream existed (and is gone). */
  readonly exchange: boolean;
  /** Checkpoint objects of the group removed from the state bucket (0 without one). */
  readonly checkpoints: number;
}

/**
 * Removes everything a group keeps on the server, so that its name can start over: its exchange
 * stream (`JF_X_<group>`), its KV bucket (config, plan, leases, partition pointers) and, given the
 * state bucket, the group's checkpoint objects in it (those under `<group>/`: a bucket shared with
 * other groups keeps theirs). Refused while members hold a lease, unless `force`: a live member
 * would go on writing into what is being removed.
 * @throws GroupError when the group does not exist, or has live members and `force` is not set
 */
export async function deleteGroup(
  nc: NatsConnection,
  group: string,
  options: { readonly stateBucket?: string; readonly force?: boolean } = {},
): Promise<DeletedGroup> {
  const g = await openGroup(nc, group);
  const { members } = await groupStatus(nc, group);
  if (members.length > 0 && options.force !== true) {
    throw new GroupError(
      group,
      `group "${group}" has ${members.length} live member${members.length === 1 ? "" : "s"} (${members.map((m) => m.id).join(", ")}): stop them first, or force the delete`,
    );
  }
  let checkpoints = 0;
  if (options.stateBucket !== undefined) {
    try {
      const os = await new Objm(nc).open(options.stateBucket);
      const prefix = `${group}/`;
      for (const info of await os.list()) {
        if (info.deleted || !info.name.startsWith(prefix)) continue;
        await os.delete(info.name);
        checkpoints++;
      }
    } catch (e) {
      throw new GroupError(
        group,
        `group "${group}": cannot clear state bucket "${options.stateBucket}": ${messageOf(e)}`,
        {
          cause: e,
        },
      );
    }
  }
  const jsm = await jetstreamManager(nc);
  const exchange = await jsm.streams.delete(exchangeStreamName(group)).catch(() => false);
  await g.kv.destroy();
  return { group, exchange, checkpoints };
}
