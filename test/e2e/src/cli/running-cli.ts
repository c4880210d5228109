import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { CLI_BIN } from "../cli-process.js";

/**
 * A `jetflow` process that keeps running (`run` without --until-caught-up, `demo`), for tests
 * that talk to it while it runs and then stop it with a signal. `runCli` covers commands that
 * end by themselves.
 */
export class RunningCli {
  stdout = "";
  stderr = "";
  /** How it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcessWithoutNullStreams;

  private constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.on("data", (b: Buffer) => {
      this.stdout += b.toString();
    });
    this.child.stderr.on("data", (b: Buffer) => {
      this.stderr += b.toString();
    });
    this.exited = new Promise((resolve, reject) => {
      this.child.once("error", reject);
      this.child.once("exit", (code, signal) => resolve({ code, signal }));
    });
  }

  static start(args: readonly string[]): RunningCli {
    return new RunningCli(args);
  }

  /** Resolves when `check` holds, polling every 50 ms; rejects after `timeoutMs` or if the process exits first. */
  async until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    void this.exited.then(() => {
      ended = true;
    });
    for (;;) {
      if (await check()) return;
      if (ended) throw new Error(`jetflow exited before ${what}; stderr: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a signal (SIGINT is Ctrl-C) and waits for the exit. */
  async stop(signal: NodeJS.Signals = "SIGINT"): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
