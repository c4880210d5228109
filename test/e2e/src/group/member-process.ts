import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { CLI_BIN } from "../cli-process.js";

/**
 * A partition task event as `jetflow run --group --verbose` prints it on stderr (`jetflow: {json}`);
 * a task's `error` event is printed as a plain `jetflow: MESSAGE` line instead (see {@link MemberProcess.complaints}).
 */
export interface TaskEvent {
  readonly type: "task_started" | "task_stopped" | "committed" | "commit_refused";
  readonly partition: number;
  readonly reason?: string;
  readonly revision?: number;
}

/** How a process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * One `jetflow run FILE.sql --group NAME --verbose` process, seen from outside as an operator
 * would: its output as it comes, the task events it prints, and the signals it can be sent
 * (SIGKILL for a crash, SIGSTOP/SIGCONT for a pause longer than its lease, SIGTERM to leave).
 * `RunningCli` covers a process that is only stopped; a member is also killed and frozen.
 */
export class MemberProcess {
  stdout = "";
  stderr = "";
  /** How it ended; resolves once it exited. */
  readonly exited: Promise<Exit>;
  private ended: Exit | undefined;
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;

  constructor(
    /** The test's name for it (`A`, `B2`, ...), used in messages. */
    readonly name: string,
    args: readonly string[],
  ) {
    this.child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    // Decoded as a stream: a chunk boundary inside a multi-byte character must not split it.
    this.child.stdout.setEncoding("utf8").on("data", (s: string) => {
      this.stdout += s;
    });
    this.child.stderr.setEncoding("utf8").on("data", (s: string) => {
      this.stderr += s;
    });
    this.exited = new Promise((resolve, reject) => {
      this.child.once("error", reject);
      this.child.once("exit", (code, signal) => {
        this.ended = { code, signal };
        resolve(this.ended);
      });
    });
  }

  /** Whether it has exited. */
  get running(): boolean {
    return this.ended === undefined;
  }

  /** Its process id (a group member's status names it). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The member id it printed when it joined (`jetflow: member <id> of group ...`). */
  get memberId(): string | undefined {
    return /^jetflow: member (\S+) of group /m.exec(this.stderr)?.[1];
  }

  /** Every task event printed so far, in order. */
  events(): TaskEvent[] {
    return this.stderr
      .split("\n")
      .filter((line) => line.startsWith("jetflow: {"))
      .map((line) => JSON.parse(line.slice("jetflow: ".length)) as TaskEvent);
  }

  /** Its stderr lines other than its join line and task events: errors (a task's included) and warnings. */
  complaints(): string[] {
    return this.stderr
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("jetflow: {") && !/^jetflow: member \S+ of group /.test(l));
  }

  /** The partitions whose task runs now: started and not stopped since. */
  runningPartitions(): number[] {
    const running = new Set<number>();
    for (const e of this.events()) {
      if (e.type === "task_started") running.add(e.partition);
      else if (e.type === "task_stopped") running.delete(e.partition);
    }
    return [...running].sort((a, b) => a - b);
  }

  /** Sends `signal` (does not wait: a SIGSTOPped process does not exit). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs` if it is still there. */
  async end(signal: NodeJS.Signals, graceMs = 20_000): Promise<Exit> {
    this.signal(signal);
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Its stderr, labelled, for an assertion message: the `committed` events (five a second per
   * partition) counted rather than listed, the rest cut to the last `maxChars`.
   */
  report(maxChars = 6000): string {
    const state = this.ended === undefined ? "running" : `exited ${JSON.stringify(this.ended)}`;
    const lines = this.stderr.split("\n");
    const commits = lines.filter((l) => l.startsWith('jetflow: {"type":"committed"')).length;
    const rest = lines.filter((l) => !l.startsWith('jetflow: {"type":"committed"')).join("\n");
    const tail = rest.length > maxChars ? `...${rest.slice(-maxChars)}` : rest;
    const out = this.stdout === "" ? "" : `\n--- stdout of ${this.name}:\n${this.stdout}`;
    return `--- member ${this.name} (${state}; ${commits} commits) stderr:\n${tail}${out}`;
  }
}
