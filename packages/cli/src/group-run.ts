import { toJsonLines } from "@jetflow/core";
import { connectNats, type NatsConnectConfig } from "@jetflow/connector-nats";
import { GroupPipeline } from "@jetflow/group";
import { groupNatsService, type JetflowNatsService, type JetflowServer, serveGroup } from "@jetflow/serve";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Pipeline, PipelineOptions } from "@jetflow/pipeline";
import { UsageError } from "./errors.js";
import { toTextTable } from "./output/text-table.js";
import type { Io } from "./run-command.js";

/**
 * How every partition's pipeline runs: as the SQL's pipeline would (servers, read path, batching),
 * reading on the member's thread (no reader threads per partition).
 */
function pipelineOptions(planned: Pipeline): PipelineOptions {
  const { servers, maxBatchRows, lingerMs, sinkMaxPending, readPath } = planned.options;
  return {
    ...(servers === undefined ? {} : { servers }),
    maxBatchRows,
    lingerMs,
    sinkMaxPending,
    readPath,
    workers: 0,
    shards: 0,
  };
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
  /** What the member serves (`--http`, `--metrics-port`, `--nats-service`). */
  readonly serve: GroupServeFlags;
}

/** `--http PORT`, `--http-host`, `--metrics-port N`, `--nats-service [--nats-service-server URL]` of a member. */
export interface GroupServeFlags {
  readonly httpPort: number | undefined;
  readonly metricsPort: number | undefined;
  readonly httpHost: string | undefined;
  readonly natsService: boolean;
  readonly natsServiceServers: string[] | undefined;
}

/** What a member serves while it runs, stopped by `stop()` (again: nothing). */
interface Serving {
  stop(): Promise<void>;
}

/**
 * Starts what the flags ask a member to serve: HTTP servers (`serveGroup`, printing where
 * `--http` listens) and the NATS service (`groupNatsService`, on the group's connection or, with
 * `--nats-service-server`, on a connection of its own with the SQL's auth).
 */
async function startServing(
  g: GroupPipeline,
  flags: GroupServeFlags,
  connection: NatsConnectConfig,
  io: Io,
): Promise<Serving> {
  const servers: JetflowServer[] = [];
  let service: JetflowNatsService | undefined;
  let own: NatsConnection | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await service?.stop().catch(() => undefined);
    await own?.close().catch(() => undefined);
    for (const server of servers) await server.close();
  };
  try {
    for (const port of new Set([flags.httpPort, flags.metricsPort])) {
      if (port === undefined) continue;
      const server = await serveGroup(g, { port, ...(flags.httpHost === undefined ? {} : { host: flags.httpHost }) });
      servers.push(server);
      // Where it listens (the port may have been 0); --metrics-port alone stays quiet, as without --group.
      if (port === flags.httpPort) io.stderr.write(`jetflow: serving ${server.url}\n`);
    }
    if (flags.natsService) {
      const on = flags.natsServiceServers;
      own =
        on === undefined ? undefined : await connectNats({ ...connection, servers: on }, { name: "jetflow-service" });
      service = await groupNatsService(g, own === undefined ? {} : { connection: own });
      io.stderr.write("jetflow: NATS service jetflow answering on jetflow.query.<relation> for the whole group\n");
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { stop };
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
    const serving = await startServing(g, flags.serve, connection, io);
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
      // Stop answering first: once the member leaves, its partitions answer nowhere until taken over.
      await serving.stop();
      await g.leave();
      return 0;
    } finally {
      events.unsubscribe();
      await serving.stop();
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}
