import { toJsonLines } from "@jetflow/core";
import { connectNats } from "@jetflow/connector-nats";
import { GroupPipeline } from "@jetflow/group";
import type { Pipeline, PipelineOptions } from "@jetflow/pipeline";
import { UsageError } from "./errors.js";
import { toTextTable } from "./output/text-table.js";
import type { Io } from "./run-command.js";

/** How every partition's pipeline runs: as the SQL's pipeline would (servers, read path, batching). */
function pipelineOptions(planned: Pipeline): PipelineOptions {
  const { servers, maxBatchRows, lingerMs, sinkMaxPending, readPath } = planned.options;
  return { ...(servers === undefined ? {} : { servers }), maxBatchRows, lingerMs, sinkMaxPending, readPath };
}

/** What `jetflow run --group` runs with, from its flags. */
export interface GroupRunFlags {
  readonly group: string;
  readonly stateBucket: string;
  readonly partitions: number | undefined;
  readonly leaseSeconds: number | undefined;
  readonly commitIntervalMs: number | undefined;
  readonly untilCaughtUp: boolean;
  readonly printName: string | undefined;
  readonly format: "jsonl" | "table";
  readonly verbose: boolean;
}

/**
 * `jetflow run FILE.sql --group NAME --state-bucket B`: this process joins group NAME and runs the
 * partitions it is given of the pipeline the SQL defines (see `GroupPipeline`); `--print` reads
 * the whole relation from every member. Runs until Ctrl-C (then leaves cleanly: its partitions
 * move to the other members), or with `--until-caught-up` until the whole group is quiet.
 *
 * `planned` is the SQL's pipeline (with the `--server` and read-path options), not started: it
 * gives the plan and the connection (the first source's).
 */
export async function runGroup(planned: Pipeline, flags: GroupRunFlags, io: Io): Promise<number> {
  const plan = await planned.plan();
  const connection = planned.firstSourceConnection();
  if (connection === undefined) {
    throw new UsageError("run: --group needs a source or table with connector = 'nats' in the SQL file");
  }
  const { printName } = flags;
  if (printName !== undefined && !plan.relations.some((r) => r.name === printName && r.kind !== "source")) {
    const known = plan.relations.filter((r) => r.kind !== "source").map((r) => r.name);
    throw new UsageError(`run: --print ${printName}: no table or view of that name (there are: ${known.join(", ")})`);
  }
  const nc = await connectNats(connection);
  try {
    const g = await GroupPipeline.start(nc, plan, {
      group: flags.group,
      stateBucket: flags.stateBucket,
      ...(flags.partitions === undefined ? {} : { partitions: flags.partitions }),
      ...(flags.leaseSeconds === undefined ? {} : { member: { leaseSeconds: flags.leaseSeconds } }),
      ...(flags.commitIntervalMs === undefined ? {} : { tasks: { commitIntervalMs: flags.commitIntervalMs } }),
      pipeline: pipelineOptions(planned),
    });
    io.stderr.write(
      `jetflow: member ${g.member.id} of group ${g.name} (${g.plan.partitions} partitions, ${g.plan.edges.length} exchange edges)\n`,
    );
    const events = g.events$.subscribe((e) => {
      if (e.type === "error") io.stderr.write(`jetflow: ${e.message}\n`);
      else if (flags.verbose) io.stderr.write(`jetflow: ${JSON.stringify(e)}\n`);
    });
    try {
      const print = async () => {
        if (printName === undefined) return;
        const table = await g.table(printName);
        io.stdout.write(flags.format === "jsonl" ? toJsonLines(table) : toTextTable(table));
      };
      if (flags.untilCaughtUp) {
        await Promise.race([g.caughtUp(), io.interrupted, g.failed]);
        await print();
      } else {
        await Promise.race([io.interrupted, g.failed]);
        await print();
      }
      await g.leave();
      return 0;
    } finally {
      events.unsubscribe();
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}
