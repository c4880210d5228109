import fs from "node:fs";
import { toJsonLines } from "@jetflow/core";
import type { Pipeline } from "@jetflow/pipeline";
import { sqlPipeline } from "@jetflow/sql";
import { choiceFlag, intFlag, parseFlags, serversFlag } from "./args.js";
import { UsageError } from "./errors.js";
import { LiveDisplay } from "./live-display.js";
import { type JetflowNatsService, type JetflowServer, natsService, serve } from "@jetflow/serve";
import { printServerVersions } from "./server-version.js";
import { runGroup } from "./group-run.js";
import { toTextTable } from "./output/text-table.js";

export const RUN_HELP = `Usage: jetflow run FILE.sql [options]

Runs the pipeline a SQL file defines (CREATE SOURCE/TABLE ... WITH (connector='nats', ...),
CREATE MATERIALIZED VIEW ...).

Options:
  --server URL[,URL]      replaces server_url of every source
  --state-dir DIR         checkpoint state here; a restart resumes exactly where it stopped
  --state-bucket NAME     checkpoint state in a NATS object store bucket instead (a worker on
                          another machine resumes from it); uses the first source's server
  --until-caught-up       consume what the streams held at start, print --print, exit 0
  --print NAME            the view or table to print
  --format jsonl|table    output format (default: jsonl)
  --http PORT             serve the pipeline over HTTP on 127.0.0.1:PORT (0: a free port): JSON
                          rows and lookups at /api/relations/NAME?col=value, Arrow IPC, SSE
                          changes, /healthz, /readyz, /metrics, and a live web page at /
  --http-host HOST        listen on HOST instead of 127.0.0.1 (0.0.0.0: every interface)
  --metrics-port N        the same server on port N (kept for /metrics scrapers)
  --nats-service          answer NATS requests on jetflow.query.<relation> (a NATS service
                          named jetflow) on the first source's servers
  --nats-service-server URL[,URL]  register the NATS service on these servers instead
  --checkpoint-interval MS  milliseconds between checkpoints (default 1000)
  --read-path lean|consumer  how sources read JetStream: lean (default: their own pulls,
                          jetflow's frame parser) or consumer (nats.js's consumer API and
                          parser, the fallback); JETFLOW_READ_PATH in the environment
                          overrides it (consumer: nats.js's parser on every connection)
  --workers N             threads beside the main one that read the sources (each source or
                          table reads NATS in one of them and hands its batches over; the views
                          stay on the main thread, and so does decoding unless two or more
                          threads read, each on a core of its own); 0 reads on the main thread.
                          Default: cores - 1, at least 1; JETFLOW_WORKERS overrides it
                          (JETFLOW_DECODE_IN=reader|main fixes where threaded inputs decode).
                          Not with --group (a member reads on its own thread)
  --shards N              threads that run each GROUP BY's aggregate, each join that keeps
                          both sides and each top-N as N shards, each holding the keys (a
                          top-N: the rows) that hash to it (the views, lookups, changes and
                          checkpoints are the same; state restores into any other N); 0 (the
                          default) runs every operator on the main thread. JETFLOW_SHARDS
                          overrides it. Not with --group
  --group NAME            run as one member of group NAME: every process started with the same
                          SQL file and group shares the pipeline's partitions (nats-server 2.11+;
                          needs --state-bucket; --print reads the whole relation from the group;
                          --http and --nats-service answer for the whole relation on any member,
                          /metrics shows the member's partitions, lag per partition, rebalances;
                          SSE changes of a group relation are found by polling it every second)
  --partitions N          the group's partition count when this member creates it (default 16)
  --lease-seconds N       a member that stops renewing (crash, pause) loses its partitions after
                          N seconds (default 5); the others take them over from its last commit
  --verbose               the nats-server version of each server, stack traces on errors; with
                          --group, each partition task event as a JSON line on stderr
`;

/** What a command writes to; the tests pass buffers, the binary passes the process streams. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  readonly stderr: NodeJS.WritableStream;
  /** Resolves on SIGINT/SIGTERM. */
  readonly interrupted: Promise<void>;
}

export async function runCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags("run", argv, {
    server: { type: "string" },
    "state-dir": { type: "string" },
    "state-bucket": { type: "string" },
    "until-caught-up": { type: "boolean" },
    print: { type: "string" },
    format: { type: "string" },
    "metrics-port": { type: "string" },
    http: { type: "string" },
    "http-host": { type: "string" },
    "nats-service": { type: "boolean" },
    "nats-service-server": { type: "string" },
    "checkpoint-interval": { type: "string" },
    "read-path": { type: "string" },
    workers: { type: "string" },
    shards: { type: "string" },
    group: { type: "string" },
    partitions: { type: "string" },
    "lease-seconds": { type: "string" },
    verbose: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.stdout.write(RUN_HELP);
    return 0;
  }
  const file = positionals[0];
  if (file === undefined) throw new UsageError("run: missing FILE.sql (see jetflow run --help)");
  if (positionals.length > 1) throw new UsageError(`run: unexpected argument "${positionals[1]}"`);
  const format = choiceFlag("format", values.format, ["jsonl", "table"] as const, "jsonl");
  const metricsPort = intFlag("metrics-port", values["metrics-port"], 0, 65535);
  const httpPort = intFlag("http", values.http, 0, 65535);
  const httpHost = values["http-host"];
  if (httpHost !== undefined && httpPort === undefined && metricsPort === undefined) {
    throw new UsageError("run: --http-host needs --http PORT");
  }
  const serviceServers = serversFlag(values["nats-service-server"]);
  const natsServiceOn = values["nats-service"] === true || serviceServers !== undefined;
  const interval = intFlag("checkpoint-interval", values["checkpoint-interval"], 0, 86_400_000);
  const readPath =
    values["read-path"] === undefined
      ? undefined
      : choiceFlag("read-path", values["read-path"], ["lean", "consumer"] as const, "lean");
  const workers = intFlag("workers", values.workers, 0, 64);
  if (workers !== undefined && values.group !== undefined) {
    // A member runs many partition pipelines; threads per partition would multiply. Scale a group
    // out with members (and a partitioned stream), one reading thread each.
    throw new UsageError("run: --workers is for one process; a --group member reads its partitions on its own thread");
  }
  const shards = intFlag("shards", values.shards, 0, 64);
  if (shards !== undefined && values.group !== undefined) {
    throw new UsageError("run: --shards is for one process; a --group spreads its partitions over members");
  }
  const servers = serversFlag(values.server);
  const stateDir = values["state-dir"];
  const stateBucket = values["state-bucket"];
  if (stateDir !== undefined && stateBucket !== undefined) {
    throw new UsageError("run: --state-dir and --state-bucket are alternatives; give one");
  }

  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const p = sqlPipeline({
    ...(stateDir === undefined ? {} : { state: { kind: "filesystem", dir: stateDir } }),
    ...(stateBucket === undefined || values.group !== undefined
      ? {}
      : { state: { kind: "nats", bucket: stateBucket } }),
    ...(servers === undefined ? {} : { servers }),
    ...(interval === undefined ? {} : { checkpointIntervalMs: interval }),
    ...(readPath === undefined ? {} : { readPath }),
    ...(workers === undefined ? {} : { workers }),
    ...(shards === undefined ? {} : { shards }),
  });
  try {
    p.sql(text);
  } catch (e) {
    // SQL errors carry "line L, column C"; the file name makes them clickable.
    if (e instanceof Error) e.message = `${file}: ${e.message}`;
    throw e;
  }
  const group = values.group;
  const partitions = intFlag("partitions", values.partitions, 1, 4096);
  const leaseSeconds = intFlag("lease-seconds", values["lease-seconds"], 1, 3600);
  if (group === undefined) {
    if (partitions !== undefined) throw new UsageError("run: --partitions needs --group NAME");
    if (leaseSeconds !== undefined) throw new UsageError("run: --lease-seconds needs --group NAME");
  } else {
    if (stateBucket === undefined)
      throw new UsageError("run: --group needs --state-bucket NAME (where the partitions' state lives)");
    return runGroup(
      p,
      {
        group,
        stateBucket,
        partitions,
        leaseSeconds,
        commitIntervalMs: interval,
        untilCaughtUp: values["until-caught-up"] === true,
        printName: values.print,
        format,
        verbose: values.verbose === true,
        serve: {
          httpPort,
          metricsPort,
          httpHost,
          natsService: natsServiceOn,
          natsServiceServers: serviceServers,
        },
      },
      io,
    );
  }

  const httpServers: JetflowServer[] = [];
  let service: JetflowNatsService | undefined;
  const versions = values.verbose === true ? printServerVersions(p, io) : undefined;
  try {
    // Listening before start(): /healthz answers and /readyz says 503 while the backlog loads.
    for (const port of new Set([httpPort, metricsPort])) {
      if (port === undefined) continue;
      const server = await serve(p, { port, ...(httpHost === undefined ? {} : { host: httpHost }) });
      httpServers.push(server);
      // Where it listens (the port may have been 0); --metrics-port alone stays quiet, as it always was.
      if (port === httpPort) io.stderr.write(`jetflow: serving ${server.url}\n`);
    }
    await p.start();
    if (natsServiceOn) {
      service = await natsService(p, serviceServers === undefined ? {} : { servers: serviceServers });
      io.stderr.write("jetflow: NATS service jetflow answering on jetflow.query.<relation>\n");
    }
    const printName = values.print;
    if (printName !== undefined) p.view(printName); // an unknown name fails now, not after the backlog
    const print = () => {
      if (printName === undefined) return;
      const table = p.view(printName).snapshot();
      io.stdout.write(format === "jsonl" ? toJsonLines(table) : toTextTable(table));
    };
    if (values["until-caught-up"] === true) {
      await Promise.race([p.caughtUp(), io.interrupted]);
      print();
      await p.stop();
      return 0;
    }
    await runLive(p, printName, io);
    print();
    await p.stop();
    return 0;
  } finally {
    await service?.stop().catch(() => undefined);
    await p.stop().catch(() => undefined);
    versions?.();
    for (const server of httpServers) await server.close();
  }
}

/** Until Ctrl-C: a live table and a progress bar on a terminal; quiet otherwise. Fails if the pipeline fails. */
async function runLive(p: Pipeline, printName: string | undefined, io: Io): Promise<void> {
  const display = io.stdout.isTTY === true ? new LiveDisplay(p, printName, io.stdout) : undefined;
  display?.start();
  try {
    await Promise.race([io.interrupted, p.done]);
  } finally {
    display?.stop();
  }
}
