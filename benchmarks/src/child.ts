import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ScenarioResult, WorkerRequest } from "./scenario.js";
import { pinnedFork } from "./pin.js";
import type { WorkerMessage } from "./worker.js";

/** How a scenario's child process runs. */
export interface ChildOptions {
  /** Kill the child after this long. */
  readonly timeoutMs: number;
  /** Write a V8 CPU profile of the child into this directory as `<scenario id>.cpuprofile` (`node --cpu-prof`). */
  readonly cpuProfDir?: string;
  /** Called when a latency scenario's pipeline runs and waits for messages; resolves when publishing is done. */
  readonly onReady?: () => Promise<unknown>;
  /** Run the child under `taskset -c` on this core (`--pin`). */
  readonly core?: number;
}

const WORKER = fileURLToPath(new URL("./worker.js", import.meta.url));

/** Runs one scenario in a fresh child process (the built `worker.js`) and resolves with its result. */
export function runInChild(request: WorkerRequest, options: ChildOptions): Promise<ScenarioResult> {
  const name = `${request.scenario.id.replace(/[^\w.-]/g, "_")}.cpuprofile`;
  const execArgv =
    options.cpuProfDir === undefined
      ? []
      : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`, `--cpu-prof-name=${name}`];
  const child = fork(WORKER, [], {
    ...(options.core === undefined ? { execArgv } : pinnedFork(options.core, execArgv)),
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise<ScenarioResult>((resolve, reject) => {
    let settled = false;
    let result: ScenarioResult | undefined;
    let failure: Error | undefined;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      settle(() => reject(new Error(`timed out after ${options.timeoutMs / 1000} s`)));
    }, options.timeoutMs);
    child.on("message", (message: WorkerMessage) => {
      if (message.type === "ready") {
        (options.onReady?.() ?? Promise.resolve()).catch((e: unknown) => {
          child.kill("SIGKILL");
          settle(() => reject(e));
        });
      } else if (message.type === "result") {
        result = message.result;
      } else {
        failure = new Error(message.message);
      }
    });
    child.on("error", (e) => settle(() => reject(e)));
    // Settle on exit, not on the result message, so children never overlap (and a CPU profile is written).
    child.on("exit", (code, signal) =>
      settle(() => {
        if (result !== undefined) resolve(result);
        else
          reject(failure ?? new Error(`the scenario's process exited (${signal ?? `code ${code}`}) without a result`));
      }),
    );
    child.send(request);
  });
}
