import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createOrJoinGroup } from "../group.js";
import { GroupMember } from "../group-member.js";
import { partitionOf } from "../partition.js";
import type { PartitionQuery, QueryRows } from "../partition-query.js";
import { type PartitionQueryService, servePartitionQueries } from "../partition-query-service.js";
import { type PartitionTask, PartitionTasks } from "../partition-tasks.js";
import { queryRows } from "./query-rows.js";

/** The keys the rows tasks hold between them: `k0` to `k19`, each in partition `partitionOf([key])`. */
export const KEYS = Array.from({ length: 20 }, (_, i) => `k${i}`);

/**
 * A test task holding relation `keys`: one row `[key, partition]` per key of {@link KEYS} in its
 * partition. Counts the queries it answers; `hold()` holds its checkpoints (so a hand-over's last
 * one) until `release()`.
 */
export class RowsTask implements PartitionTask {
  answered = 0;
  private gate: Promise<void> | undefined;
  private open: () => void = () => {};
  constructor(
    readonly partition: number,
    private readonly partitions: number,
  ) {}
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open();
  }
  async start(): Promise<void> {}
  async checkpoint(): Promise<unknown> {
    await this.gate;
    return { partition: this.partition };
  }
  async stop(): Promise<void> {}
  query(request: PartitionQuery): QueryRows {
    this.answered++;
    const mine = KEYS.filter((k) => partitionOf([k], this.partitions) === this.partition);
    return queryRows(
      { keys: { columns: ["key", "partition"], rows: () => mine.map((key) => ({ key, partition: this.partition })) } },
      request,
    );
  }
}

/** Every row of relation `keys` over `partitions` partitions, sorted by key. */
export function allKeyRows(partitions: number): (readonly unknown[])[] {
  return sortedRows({ columns: [], rows: KEYS.map((k) => [k, partitionOf([k], partitions)]) });
}

/** The rows of an answer sorted by their first cell. */
export function sortedRows(r: QueryRows): (readonly unknown[])[] {
  return [...r.rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

/** A member in this process (on a connection of its own) running RowsTasks and serving their queries. */
export interface RowsMember {
  readonly member: GroupMember;
  readonly tasks: PartitionTasks;
  readonly service: PartitionQueryService;
  /** The latest task made per partition. */
  readonly made: Map<number, RowsTask>;
}

/** Starts members running RowsTasks (or tasks without `query`), and closes them all at the end. */
export class RowsMembers {
  private readonly connections: NatsConnection[] = [];
  private readonly running: PartitionTasks[] = [];
  constructor(
    private readonly url: string,
    private readonly leaseSeconds: number,
  ) {}

  /** A member of `group`; its tasks commit every `commitIntervalMs` (by default: hardly ever). */
  async start(
    group: string,
    partitions: number,
    options: { commitIntervalMs?: number; withQuery?: boolean } = {},
  ): Promise<RowsMember> {
    const { commitIntervalMs = 60_000, withQuery = true } = options;
    const nc = await connect({ servers: this.url });
    this.connections.push(nc);
    const member = await GroupMember.join(await createOrJoinGroup(nc, { group, partitions }), {
      leaseSeconds: this.leaseSeconds,
    });
    const made = new Map<number, RowsTask>();
    const tasks = PartitionTasks.run(
      member,
      (p) => {
        const t = new RowsTask(p, partitions);
        made.set(p, t);
        if (withQuery) return t;
        return { start: () => t.start(), checkpoint: () => t.checkpoint(), stop: () => t.stop() };
      },
      { commitIntervalMs },
    );
    this.running.push(tasks);
    return { member, tasks, service: servePartitionQueries(tasks), made };
  }

  async close(): Promise<void> {
    for (const t of this.running) await t.leave().catch(() => {});
    for (const nc of this.connections) await nc.close();
  }
}
