import type { NatsConnection } from "@nats-io/transport-node";
import { decodeReply, encodeQuery, partitionQuerySubject, type QueryRows } from "./partition-query.js";

/**
 * The relation name a partition running a pipeline answers its progress on: one row
 * `[partition, lag, unsent, applied]` (input messages pending, exchange rows not yet sent,
 * messages applied so far). Names starting with `__jf_` are the group's own.
 */
export const PROGRESS_RELATION = "__jf_progress";

/** A partition's progress, as its task reported it. */
export interface PartitionProgress {
  /** Input messages pending (its routers' sources and its feeds). */
  readonly lag: number;
  /** Exchange output not yet sent and acked (sealed messages, plus 1 while an epoch is open). */
  readonly unsent: number;
  /** Messages (and exchange changes) applied so far. */
  readonly applied: number;
}

/** A partition's progress as the one row it answers on {@link PROGRESS_RELATION}. */
export function progressRows(partition: number, progress: PartitionProgress): QueryRows {
  return {
    columns: ["partition", "lag", "unsent", "applied"],
    rows: [[partition, progress.lag, progress.unsent, progress.applied]],
  };
}

/** A row of {@link progressRows}, read back. */
export function progressOf(row: readonly unknown[]): PartitionProgress {
  return { lag: Number(row[1]), unsent: Number(row[2]), applied: Number(row[3]) };
}

/**
 * Asks each partition's owner of group `group` for its progress, at once and once each: a
 * partition whose owner does not answer within `timeoutMs` (none, moving, or a task that runs no
 * pipeline) is left out. Read-only.
 *
 * @example
 * ```ts
 * const lag = await groupLag(nc, "shop", 16);
 * console.log([...lag].map(([p, { lag }]) => `${p}:${lag}`).join(" "));
 * ```
 */
export async function groupLag(
  nc: NatsConnection,
  group: string,
  partitions: number,
  timeoutMs = 1000,
): Promise<Map<number, PartitionProgress>> {
  const body = encodeQuery({ relation: PROGRESS_RELATION });
  const answers = await Promise.all(
    Array.from({ length: partitions }, async (_, p) => {
      try {
        const reply = decodeReply(
          (await nc.request(partitionQuerySubject(group, p), body, { timeout: timeoutMs })).data,
        );
        const row = reply.ok ? reply.rows.rows[0] : undefined;
        return row === undefined ? undefined : ([p, progressOf(row)] as const);
      } catch {
        return undefined;
      }
    }),
  );
  return new Map(answers.filter((a) => a !== undefined));
}
