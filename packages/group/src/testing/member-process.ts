import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import path from "node:path";

/** A built child script (`tsc -b` writes it) in `dist/testing/`. */
const built = (script: string) => path.resolve(import.meta.dirname, "../../dist/testing", script);

/** A line the child printed (a GroupEvent, or its write results). */
export type ChildLine = { readonly type: string } & Record<string, unknown>;

/** A child process (a group member, see member-child.ts; or another test child) and what it printed. */
export interface MemberProcess {
  readonly proc: ChildProcessWithoutNullStreams;
  /** Every line printed so far, parsed. */
  readonly lines: ChildLine[];
  /** The id it joined under most recently. */
  readonly memberId: () => string | undefined;
  /** What it printed on stderr, for failing tests. */
  readonly stderr: () => string;
  /** Sends a stdin line. */
  send(line: string): void;
  signal(sig: NodeJS.Signals): void;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

/** Starts a member of `group` at `url` in a child process (member-child.ts). */
export function startMemberProcess(url: string, group: string, leaseSeconds: number, name: string): MemberProcess {
  return startChild("member-child.js", [url, group, String(leaseSeconds), name]);
}

/** Where a tasks child (tasks-child.ts) counts: the partitioned stream and the state bucket. */
export interface CounterSource {
  readonly stream: string;
  readonly prefix: string;
  readonly stateBucket: string;
  readonly commitIntervalMs: number;
  /** Which reference task runs: the counter, or the two-stage dataflow (over the group's exchange). @default "counter" */
  readonly task?: "counter" | "two-stage";
}

/** Starts a member of `group` running PartitionTasks with a reference task (tasks-child.ts) in a child process. */
export function startTasksProcess(
  url: string,
  group: string,
  leaseSeconds: number,
  name: string,
  source: CounterSource,
): MemberProcess {
  const { stream, prefix, stateBucket, commitIntervalMs, task = "counter" } = source;
  return startChild("tasks-child.js", [
    url,
    group,
    String(leaseSeconds),
    name,
    stream,
    prefix,
    stateBucket,
    String(commitIntervalMs),
    task,
  ]);
}

/**
 * Starts the sending end of an exchange in a child process (exchange-child.ts): `seal` seals
 * `rows` all-types rows into `partitions`, keeps the sealed epoch in `file` and publishes it;
 * `republish` publishes the sealed epoch in `file` again.
 */
export function startExchangeProcess(
  url: string,
  exchange: { group: string; edge: string; file: string; rows: number; partitions: number },
  mode: "seal" | "republish",
): MemberProcess {
  const { group, edge, file, rows, partitions } = exchange;
  return startChild("exchange-child.js", [url, group, edge, file, mode, String(rows), String(partitions)]);
}

function startChild(script: string, args: string[]): MemberProcess {
  const proc = spawn(process.execPath, [built(script), ...args], { stdio: ["pipe", "pipe", "pipe"] });
  const lines: ChildLine[] = [];
  let partial = "";
  let err = "";
  proc.stdout.on("data", (b: Buffer) => {
    partial += b.toString();
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const l of parts) if (l.trim() !== "") lines.push(JSON.parse(l) as ChildLine);
  });
  proc.stderr.on("data", (b: Buffer) => {
    err += b.toString();
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  return {
    proc,
    lines,
    memberId: () => lines.findLast((l) => l.type === "joined")?.["member"] as string | undefined,
    stderr: () => err,
    send: (line) => proc.stdin.write(`${line}\n`),
    signal: (sig) => proc.kill(sig),
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
  };
}
