import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import path from "node:path";

/** The built CLI entry point (the workspace's `pnpm jetflow`). */
export const CLI_BIN = path.resolve(import.meta.dirname, "../../../packages/cli/dist/bin.js");

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `jetflow ARGS` as a child process and collects its output. Killed after `timeoutMs`. */
export function runCli(args: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    const out = outputOf(child);
    child.stdin.end(opts.input ?? "");
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out.stdout, stderr: out.stderr });
    });
  });
}

/**
 * Starts `jetflow ARGS` and SIGKILLs it after `killAfterMs` (as a crash would), unless it exits first.
 * Resolves with how it ended.
 */
export function runCliKilledAfter(
  args: readonly string[],
  killAfterMs: number,
): Promise<CliResult & { killed: boolean }> {
  return runCliKilledBy(args, (kill) => {
    const timer = setTimeout(kill, killAfterMs);
    return () => clearTimeout(timer);
  });
}

/**
 * Starts `jetflow ARGS` and SIGKILLs it as soon as `due()` (polled every 20 ms) says so, unless it
 * exits first: a crash at a chosen moment (say, right after a sink published).
 */
export function runCliKilledWhen(
  args: readonly string[],
  due: () => Promise<boolean>,
): Promise<CliResult & { killed: boolean }> {
  return runCliKilledBy(args, (kill) => {
    let disarmed = false;
    void (async () => {
      while (!disarmed) {
        if (await due().catch(() => false)) {
          if (!disarmed) kill();
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    return () => {
      disarmed = true;
    };
  });
}

/** Runs the CLI with a killer armed by `arm` (which returns its disarm), collecting the output. */
function runCliKilledBy(
  args: readonly string[],
  arm: (kill: () => void) => () => void,
): Promise<CliResult & { killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const out = outputOf(child);
    let killed = false;
    const disarm = arm(() => {
      killed = child.kill("SIGKILL");
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      disarm();
      resolve({ code, signal, stdout: out.stdout, stderr: out.stderr, killed: killed && signal === "SIGKILL" });
    });
  });
}

/** Parses JSON Lines output into objects. */
export function parseJsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** What a child prints, collected as it comes; read the fields once it has exited. */
function outputOf(child: ChildProcessByStdio<Writable | null, Readable, Readable>): { stdout: string; stderr: string } {
  const out = { stdout: "", stderr: "" };
  // Decoded as a stream: a chunk boundary inside a multi-byte character must not split it.
  child.stdout.setEncoding("utf8").on("data", (b: string) => {
    out.stdout += b;
  });
  child.stderr.setEncoding("utf8").on("data", (b: string) => {
    out.stderr += b;
  });
  return out;
}
