import { messageOf, type SqlType } from "@jetflow/core";
import type { PipelineOptions, PipelinePlan } from "@jetflow/pipeline";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Table } from "apache-arrow";
import type { Observable } from "rxjs";
import { ensureExchangeStream } from "./exchange-stream.js";
import { createOrJoinGroup } from "./group.js";
import { type GroupPlan, planGroup } from "./group-plan.js";
import { type GroupQueryOptions, queryGroup, queryGroupTable } from "./group-query.js";
import { GroupMember, type MemberOptions } from "./group-member.js";
import { openStateBucket } from "./partition-backend.js";
import type { QueryRows } from "./partition-query.js";
import { type PartitionQueryService, servePartitionQueries } from "./partition-query-service.js";
import { type PartitionTaskEvent, PartitionTasks, type PartitionTasksOptions } from "./partition-tasks.js";
import { PROGRESS_RELATION } from "./group-lag.js";
import { PipelineTask, type PipelineTaskSetup } from "./pipeline-task.js";
import { GroupError } from "./errors.js";
import { checkGroupPlan } from "./plan-fingerprint.js";

/** How a member runs its share of a group's pipeline. */
export interface GroupPipelineOptions {
  /** The group: letters, digits, `-` and `_`. */
  readonly group: string;
  /** The object store bucket the partitions' checkpoints go to (created when missing). */
  readonly stateBucket: string;
  /** The partition count when this member creates the group. @default 16 (joining: the group's) */
  readonly partitions?: number;
  readonly member?: MemberOptions;
  readonly tasks?: PartitionTasksOptions;
  /** How each partition's pipeline runs (servers, read path, batching). */
  readonly pipeline?: PipelineOptions;
}

/** How long {@link GroupPipeline.caughtUp} waits between two looks at every partition. */
const CAUGHT_UP_POLL_MS = 1_000;

/**
 * One member of a group running one SQL pipeline: the {@link GroupMember} (its leases and
 * partitions), a {@link PipelineTask} per partition it owns, and the query service that answers
 * for them. Any member reads the whole of any relation ({@link table}, {@link query}).
 *
 * @example
 * ```ts
 * const plan = await sqlPipeline({ servers }).sql(text).plan();
 * const g = await GroupPipeline.start(nc, plan, { group: "shop", stateBucket: "shop-state" });
 * await g.caughtUp();
 * console.log(toJsonLines(await g.table("by_region")));
 * await g.leave();
 * ```
 */
export class GroupPipeline {
  private constructor(
    readonly nc: NatsConnection,
    /** The group's name. */
    readonly name: string,
    readonly plan: GroupPlan,
    readonly member: GroupMember,
    readonly tasks: PartitionTasks,
    private readonly queries: PartitionQueryService,
    /** Rejects when a partition's pipeline fails on this member (it never resolves). */
    readonly failed: Promise<never>,
  ) {}

  /**
   * Creates or joins the group, then runs a task for every partition this member is given, from
   * now until {@link leave}. Needs nats-server 2.11+.
   * @throws GroupError for a server too old, a group of another partition count, a name starting
   *   with `__jf_` in the SQL
   */
  static async start(nc: NatsConnection, planned: PipelinePlan, options: GroupPipelineOptions): Promise<GroupPipeline> {
    const group = await createOrJoinGroup(nc, {
      group: options.group,
      ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
    });
    const plan = planGroup(planned, group.partitions);
    await checkGroupPlan(group, planned);
    const js = jetstream(nc);
    await ensureExchangeStream(await jetstreamManager(nc), group.name);
    const os = await openStateBucket(js, options.stateBucket);
    const member = await GroupMember.join(group, options.member);
    let fail: (e: unknown) => void = () => undefined;
    const done = new Promise<never>((_, reject) => {
      fail = reject;
    });
    done.catch(() => undefined);
    const setup: PipelineTaskSetup = {
      group: group.name,
      plan,
      js,
      os,
      ...(options.pipeline === undefined ? {} : { options: options.pipeline }),
      failed: (p, e) =>
        fail(new GroupError(group.name, `group "${group.name}": partition ${p} failed: ${messageOf(e)}`, { cause: e })),
    };
    const tasks = PartitionTasks.run(member, (p) => new PipelineTask(setup, p), options.tasks);
    return new GroupPipeline(nc, group.name, plan, member, tasks, servePartitionQueries(tasks), done);
  }

  /** What the tasks do: starts, commits, refusals, errors. */
  get events$(): Observable<PartitionTaskEvent> {
    return this.tasks.events$;
  }

  /** The whole of a relation, from every partition's owner, as one Arrow table. */
  table(relation: string): Promise<Table> {
    return queryGroupTable(this.nc, this.name, { relation }, this.queryOptions(relation));
  }

  /** The rows of a relation whose columns equal `equal`: from the key's owner when `equal` covers the relation's placement, else from every partition. */
  query(relation: string, equal: Readonly<Record<string, unknown>> = {}): Promise<QueryRows> {
    return queryGroup(this.nc, this.name, { relation, equal }, this.queryOptions(relation));
  }

  /**
   * Resolves once the whole group is quiet: every partition's inputs have nothing pending, its
   * exchange outputs hold nothing unsent, and nothing was applied anywhere between two looks a
   * second apart (so what one stage sent, the next has applied).
   */
  async caughtUp(): Promise<void> {
    let last = -1;
    for (;;) {
      const { rows } = await queryGroup(
        this.nc,
        this.name,
        { relation: PROGRESS_RELATION },
        {
          partitions: this.plan.partitions,
        },
      );
      let applied = 0;
      let quiet = true;
      for (const [, lag, unsent, done] of rows as [number, number, number, number][]) {
        if (lag > 0 || unsent > 0) quiet = false;
        applied += done;
      }
      if (quiet && applied === last) return;
      last = quiet ? applied : -1;
      await new Promise((r) => setTimeout(r, CAUGHT_UP_POLL_MS));
    }
  }

  /** A clean leave: every task commits and stops, the member leaves, its partitions move on. */
  async leave(): Promise<void> {
    this.queries.stop();
    await this.tasks.leave();
  }

  /** Lookups covering a relation's placement columns go to their partition alone (a relation placed by no column lives in one). */
  private queryOptions(relation: string): GroupQueryOptions {
    const r = this.plan.relations.get(relation);
    const partitions = this.plan.partitions;
    const columns = r?.placement;
    if (r === undefined || columns === undefined) return { partitions };
    const types = columns.map((c) => r.columns.find((d) => d.name === c)?.type);
    if (types.some((t) => t === undefined)) return { partitions };
    return { partitions, relationKey: { columns, types: types as SqlType[] } };
  }
}
