import { partitionCountOf } from "@jetflow/connector-nats";
import { messageOf } from "@jetflow/core";
import {
  PARTITION_COUNT_KEY,
  PARTITION_TOKEN_KEY,
  type PipelinePlan,
  partitionCountOption,
  partitionTokenOf,
} from "@jetflow/pipeline";
import type { JetStreamManager } from "@nats-io/jetstream";
import { GroupError } from "./errors.js";

/**
 * Checks, for every input read by partition (`group.partition_token`), that the stream's own
 * subject transform partitions into as many partitions as the group has: otherwise a key's rows
 * would be spread over several partitions and every keyed result would be wrong. A stream
 * partitioned another way (an account mapping, a transform on its sources) cannot be checked here;
 * it is the user's to match (see the README).
 * @throws GroupError naming the relation, the stream and both counts
 */
export async function checkPartitionedInputs(
  jsm: JetStreamManager,
  group: string,
  partitions: number,
  plan: PipelinePlan,
): Promise<void> {
  for (const r of plan.relations) {
    const options = r.ingest?.with;
    if (options === undefined || partitionTokenOf(options) === undefined) continue;
    const declared = partitionCountOption(options);
    if (declared !== undefined && declared !== partitions) {
      throw new GroupError(
        group,
        `group "${group}" has ${partitions} partitions, but "${r.name}" declares ${PARTITION_COUNT_KEY} = '${declared}': they must be equal`,
      );
    }
    const stream = options["stream"];
    if (stream === undefined) continue;
    let dest: string | undefined;
    try {
      dest = (await jsm.streams.info(stream)).config.subject_transform?.dest;
    } catch (e) {
      throw new GroupError(group, `group "${group}": cannot read stream "${stream}" of "${r.name}": ${messageOf(e)}`, {
        cause: e,
      });
    }
    const n = partitionCountOf(dest);
    if (n !== undefined && n !== partitions) {
      throw new GroupError(
        group,
        `group "${group}" has ${partitions} partitions, but stream "${stream}" (read by "${r.name}" with ${PARTITION_TOKEN_KEY}) partitions its subjects into ${n} (${dest}): they must be equal`,
      );
    }
  }
}
