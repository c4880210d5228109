import { spawn } from "node:child_process";

/** How a script run by {@link runNodeScript} ended. */
export interface NodeScriptResult {
  /** Exit code; null when it was killed (signal set). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs an ES module `source` in a fresh node process (for what a test cannot see in its own:
 * whether a process lingers, memory after `--expose-gc`'s gc()). SIGKILLed after `killAfterMs`.
 *
 * @example
 * ```ts
 * const r = await runNodeScript(`console.log(1)`, { execArgv: ["--expose-gc"] });
 * ```
 */
export function runNodeScript(
  source: string,
  opts: { execArgv?: readonly string[]; cwd?: string; killAfterMs?: number } = {},
): Promise<NodeScriptResult> {
  return runNode([...(opts.execArgv ?? []), "--input-type=module", "-e", source], opts);
}

/**
 * Runs `node ARGS` (a built binary, a script) with no stdin and collects its output.
 * SIGKILLed after `killAfterMs` (default 60 s).
 *
 * @example
 * ```ts
 * const r = await runNode([BIN, "group", "status", "orders", "--server", url]);
 * ```
 */
export function runNode(
  args: readonly string[],
  opts: { cwd?: string; killAfterMs?: number } = {},
): Promise<NodeScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], {
      stdio: ["ignore", "pipe", "pipe"],
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.killAfterMs ?? 60_000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
