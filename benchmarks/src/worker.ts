import type { ScenarioResult, WorkerRequest } from "./scenario.js";
import { sampleMemory } from "./memory-sampler.js";
import { runScenario } from "./scenario-runner.js";

/** What a worker tells its parent. */
export type WorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "result"; readonly result: ScenarioResult }
  | { readonly type: "error"; readonly message: string };

// Child-process entry: one scenario per process, so its peak RSS is its own.
process.once("message", (request: WorkerRequest) => {
  const send = (message: WorkerMessage): Promise<void> =>
    new Promise((resolve) => {
      process.send?.(message, undefined, {}, () => resolve());
    });
  const memory = sampleMemory();
  runScenario(request, () => void send({ type: "ready" }))
    .then((result) => send({ type: "result", result: { ...result, memory: memory.stop() } }))
    .catch((e: unknown) => {
      // The stack goes to the run's log; the report keeps the one-line message.
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      return send({ type: "error", message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    })
    .finally(() => process.exit(0));
});
