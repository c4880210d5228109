import { messageOf, type SqlType } from "@jetflow/core";
import { Metrics, type Pipeline, type PipelineOptions, type PipelinePlan } from "@jetflow/pipeline";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Table } from "apache-arrow";
import type { Observable } from "rxjs";
import { ensureExchangeStream } from "./exchange-stream.js";
import { createOrJoinGroup } from "./group.js";
import { type GroupPlan, onePartitionOf, placementColumns, planGroup } from "./group-plan.js";
import { type GroupQueryOptions, queryGroup, queryGroupTable } from "./group-query.js";
import { GroupMember, type MemberOptions } from "./group-member.js";
import { openStateBucket } from "./partition-backend.js";
import type { QueryRows } from "./partition-query.js";
import { type PartitionQueryService, servePartitionQueries } from "./partition-query-service.js";
import { type PartitionTaskEvent, PartitionTasks, type PartitionTasksOptions } from "./partition-tasks.js";
import { PROGRESS_RELATION, progressOf } from "./group-lag.js";
import { PipelineTask, type PipelineTaskSetup } from "./pipeline-task.js";
import { GroupError } from "./errors.js";
import { checkGroupPlan } from "./plan-fingerprint.js";
import { typedPlan } from "./typed-plan.js";
import { checkPartitionedInputs } from "./partition-count-check.js";

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
  /**
   * How each partition's pipeline runs (servers, read path, batching). `workers` defaults to 0
   * here: a member runs many partition pipelines, each reading on the member's thread.
   */
  readonly pipeline?: PipelineOptions;
}

/** Column kinds whose lookup values route as given when they are JSON numbers (or whole-number text). */
const NUMBER_KINDS: ReadonlySet<string> = new Set(["smallint", "integer", "bigint", "double precision", "real"]);

/**
 * The lookup values of the placement columns as `partitionOfRow` must see them to find the
 * partition the rows are in, or undefined when a value's form is not one routing reads safely
 * (`"1.50"` for a double, a timestamp's text): such a lookup asks every partition, which is slower
 * but never misses a row. Whole-number text for a number column (`?id=42`) routes as the number.
 */
function routedValues(types: readonly SqlType[], values: readonly unknown[]): unknown[] | undefined {
  const out: unknown[] = [];
  for (const [i, t] of types.entries()) {
    const v = values[i];
    if (
      v === null ||
      (t.kind === "varchar" && typeof v === "string") ||
      (t.kind === "boolean" && typeof v === "boolean")
    ) {
      out.push(v);
    } else if (NUMBER_KINDS.has(t.kind) && typeof v === "number") out.push(v);
    else if (NUMBER_KINDS.has(t.kind) && typeof v === "string" && /^-?\d{1,15}$/.test(v)) out.push(Number(v));
    else return undefined;
  }
  return out;
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
  /**
   * The member's own series (Prometheus text by `metrics.render()`): `jetflow_group_partitions_owned`,
   * `jetflow_group_rebalances_total{event="acquired"|"released"}`, `jetflow_group_commits_total`,
   * `jetflow_group_commit_refused_total` and `jetflow_group_partition_lag{partition="p"}` (messages
   * pending for each partition it runs). The partitions' own pipelines keep theirs
   * ({@link partitionPipelines}).
   */
  readonly metrics = new Metrics();

  private constructor(
    readonly nc: NatsConnection,
    /** The group's name. */
    readonly name: string,
    readonly plan: GroupPlan,
    /** The SQL's own plan, as given to {@link start}: its relations (with their keys) and sinks, none hidden. */
    readonly planned: PipelinePlan,
    readonly member: GroupMember,
    readonly tasks: PartitionTasks,
    private readonly queries: PartitionQueryService,
    /** Rejects when a partition's pipeline fails on this member (it never resolves). */
    readonly failed: Promise<never>,
    /** The latest task made for each partition. */
    private readonly made: ReadonlyMap<number, PipelineTask>,
  ) {
    const m = this.metrics;
    const rebalances = m.counter("jetflow_group_rebalances_total", "Partitions this member acquired or released");
    const commits = m.counter("jetflow_group_commits_total", "Partition checkpoints this member committed");
    const refused = m.counter(
      "jetflow_group_commit_refused_total",
      "Partition commits refused by the fence (the partition was taken over)",
    );
    const owned = m.gauge("jetflow_group_partitions_owned", "Partitions this member owns");
    const lag = m.gauge("jetflow_group_partition_lag", "Messages pending for a partition this member runs");
    // Counters start at zero, so a scrape shows every series before the first event.
    for (const event of ["acquired", "released"]) rebalances(`event="${event}"`, 0);
    commits("", 0);
    refused("", 0);
    member.events$.subscribe((e) => {
      if (e.type === "acquired" || e.type === "released") rebalances(`event="${e.type}"`, 1);
    });
    tasks.events$.subscribe((e) => {
      if (e.type === "committed") commits("", 1);
      else if (e.type === "commit_refused") refused("", 1);
    });
    let lagged = new Set<string>();
    m.onCollect(() => {
      owned("", member.owned().size);
      // A partition that moved away reads 0 here (a series cannot be withdrawn); its new owner reports its lag.
      const now = new Set<string>();
      for (const [p, pl] of this.partitionPipelines()) {
        const label = `partition="${p}"`;
        now.add(label);
        lag(label, safeLag(pl));
      }
      for (const label of lagged) if (!now.has(label)) lag(label, 0);
      lagged = now;
    });
  }

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
    const plan = await typedPlan(planGroup(planned, group.partitions));
    await checkGroupPlan(group, planned);
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    await checkPartitionedInputs(jsm, group.name, group.partitions, planned);
    await ensureExchangeStream(jsm, group.name);
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
      jsm,
      options: { workers: 0, ...options.pipeline },
      failed: (p, e) =>
        fail(new GroupError(group.name, `group "${group.name}": partition ${p} failed: ${messageOf(e)}`, { cause: e })),
    };
    const made = new Map<number, PipelineTask>();
    const tasks = PartitionTasks.run(
      member,
      (p) => {
        const task = new PipelineTask(setup, p);
        made.set(p, task);
        return task;
      },
      options.tasks,
    );
    return new GroupPipeline(nc, group.name, plan, planned, member, tasks, servePartitionQueries(tasks), done, made);
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
   * The rows of a relation whose columns equal `equal`, from every partition that can hold them,
   * as one Arrow table (types kept, as {@link table}): a lookup covering the relation's placement
   * columns asks that partition alone (when its values' form routes safely, see `routedValues`),
   * anything else every partition. Values are taken as a lookup on one pipeline takes them (text
   * parsed by the column's type).
   * @throws GroupError as {@link table}; a partition's refusal (an unknown column, a value of the
   *   wrong type) is its `cause`, with the task's `code` (`UNKNOWN_COLUMN`, `INVALID_VALUE`, ...)
   */
  lookupTable(relation: string, equal: Readonly<Record<string, unknown>> = {}): Promise<Table> {
    const options = this.queryOptions(relation);
    const key = options.relationKey;
    const routed =
      key?.columns.every((c) => Object.hasOwn(equal, c)) === true
        ? routedValues(
            key.types,
            key.columns.map((c) => equal[c]),
          )
        : undefined;
    if (key === undefined || routed === undefined) {
      const { relationKey: _, ...every } = options;
      return queryGroupTable(this.nc, this.name, { relation, equal }, every);
    }
    const asRouted = { ...equal };
    for (const [i, c] of key.columns.entries()) asRouted[c] = routed[i];
    return queryGroupTable(this.nc, this.name, { relation, equal: asRouted }, options);
  }

  /** The pipelines of the partitions this member runs now, by partition (ascending). */
  partitionPipelines(): ReadonlyMap<number, Pipeline> {
    const out = new Map<number, Pipeline>();
    for (const p of this.tasks.running()) {
      const pl = this.made.get(p)?.partitionPipeline;
      if (pl !== undefined) out.set(p, pl);
    }
    return out;
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
      for (const p of rows.map(progressOf)) {
        if (p.lag > 0 || p.unsent > 0) quiet = false;
        applied += p.applied;
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
    if (r === undefined) return { partitions };
    const one = onePartitionOf(r.placement, partitions);
    if (one !== undefined) return { partitions, only: one };
    const columns = placementColumns(r.placement);
    if (columns === undefined) return { partitions };
    const types = columns.map((c) => r.columns.find((d) => d.name === c)?.type);
    if (types.some((t) => t === undefined)) return { partitions };
    return { partitions, relationKey: { columns, types: types as SqlType[] } };
  }
}

/** A partition pipeline's lag, 0 while it is not running (a lag read then would throw). */
function safeLag(pl: Pipeline): number {
  try {
    return pl.lag();
  } catch {
    return 0;
  }
}
