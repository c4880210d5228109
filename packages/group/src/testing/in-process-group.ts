import { toJsonLines } from "@jetflow/core";
import { sqlPipeline } from "@jetflow/sql";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { GroupPipeline } from "../group-pipeline.js";

/** Where and how an {@link InProcessGroup}'s members run. */
export interface InProcessGroupSetup {
  readonly url: string;
  readonly group: string;
  readonly partitions: number;
  /** The relations compared between the group and one process. */
  readonly views: readonly string[];
}

/**
 * Members of one group in this process, each with its own connection, all running the same SQL
 * (short leases, 200 ms commits), and the reference they are checked against: one process
 * computing the same SQL over the same streams.
 */
export class InProcessGroup {
  private readonly members: { nc: NatsConnection; g: GroupPipeline }[] = [];

  constructor(
    private readonly setup: InProcessGroupSetup,
    private readonly sql: string,
  ) {}

  /** Starts a member named `name`. */
  async join(name: string): Promise<GroupPipeline> {
    const { url, group, partitions } = this.setup;
    const nc = await connect({ servers: url });
    const g = await GroupPipeline.start(nc, await sqlPipeline().sql(this.sql).plan(), {
      group,
      stateBucket: `${group}-state`,
      partitions,
      member: { name, leaseSeconds: 2 },
      tasks: { commitIntervalMs: 200 },
    });
    this.members.push({ nc, g });
    return g;
  }

  /** Each view as one process prints it (`--print`), computed now over the same streams. */
  async single(): Promise<Record<string, string>> {
    const p = sqlPipeline().sql(this.sql);
    await p.start();
    await p.caughtUp();
    const out = Object.fromEntries(this.setup.views.map((v) => [v, toJsonLines(p.view(v).snapshot())]));
    await p.stop();
    return out;
  }

  /** Each view gathered through member `g` once the whole group is quiet, as `--print` prints it. */
  async whole(g: GroupPipeline): Promise<Record<string, string>> {
    await g.caughtUp();
    const out: Record<string, string> = {};
    for (const v of this.setup.views) out[v] = toJsonLines(await g.table(v));
    return out;
  }

  /** Every member leaves (those that left already are skipped), and its connection closes. */
  async close(): Promise<void> {
    for (const m of this.members) await m.g.leave().catch(() => undefined);
    for (const m of this.members) await m.nc.close();
  }
}
