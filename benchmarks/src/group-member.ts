// Child-process entry of the group scenario: one member of a group running the table + group-by
// SQL over a dataset. Told by its parent (IPC) what to run; reports "joined", then on "leave"
// leaves cleanly and reports its CPU time (user + system, every thread) since it started.
import { GroupPipeline } from "@jetflow/group";
import { sqlPipeline } from "@jetflow/sql";
import { connect } from "@nats-io/transport-node";
import type { DatasetSpec } from "./dataset.js";
import { scenarioSql } from "./jetflow-sql.js";
import type { Shape } from "./scenario.js";

/** What the parent tells a member to run. */
export interface MemberRequest {
  readonly url: string;
  readonly dataset: DatasetSpec;
  readonly shape: Shape;
  readonly group: string;
  readonly partitions: number;
}

/** What a member tells its parent. */
export type MemberMessage =
  | { readonly type: "joined" }
  | { readonly type: "left"; readonly cpuSeconds: number }
  | { readonly type: "error"; readonly message: string };

const send = (m: MemberMessage): Promise<void> =>
  new Promise((resolve) => {
    process.send?.(m, undefined, {}, () => resolve());
  });

process.once("message", (request: MemberRequest) => {
  void run(request).catch(async (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    await send({ type: "error", message: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  });
});

async function run({ url, dataset, shape, group, partitions }: MemberRequest): Promise<void> {
  const nc = await connect({ servers: url });
  const plan = await sqlPipeline()
    .sql(scenarioSql(url, dataset, shape))
    .plan();
  const g = await GroupPipeline.start(nc, plan, {
    group,
    stateBucket: `${group}-state`,
    partitions,
    member: { leaseSeconds: 5 },
  });
  g.events$.subscribe((e) => {
    if (e.type === "error") process.stderr.write(`member: ${e.message}\n`);
  });
  await send({ type: "joined" });
  await new Promise<void>((resolve) => process.once("message", () => resolve()));
  await g.leave();
  await nc.close();
  const cpu = process.cpuUsage();
  await send({ type: "left", cpuSeconds: (cpu.user + cpu.system) / 1e6 });
  process.exit(0);
}
