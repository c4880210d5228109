import { PipelineStateError } from "./errors.js";

/**
 * Where a pipeline is in its life: defined (`defining`), or resolved only to be described
 * (`planned`, a dead end), or on its way from `starting` through `running` to `stopped` (or
 * `failed`).
 */
export type Phase = "defining" | "planned" | "starting" | "running" | "stopping" | "stopped" | "failed";

/**
 * A pipeline's phase, and the checks that a call is allowed in it: the errors name the call and
 * the phase.
 *
 * @example
 * ```ts
 * const life = new Lifecycle();
 * life.defining("table()"); // fine
 * life.running("checkpoint()"); // PipelineStateError: checkpoint() needs a running pipeline (it is defining)
 * ```
 */
export class Lifecycle {
  phase: Phase = "defining";

  /** Whether batches are applied now: not while the pipeline stops or after it failed. */
  get accepting(): boolean {
    return this.phase === "running" || this.phase === "starting";
  }

  /** Whether it is done (stopped or failed): a stop has nothing left to do. */
  get over(): boolean {
    return this.phase === "stopped" || this.phase === "failed";
  }

  /** @throws PipelineStateError unless the pipeline is still being defined */
  defining(call: string): void {
    if (this.phase === "planned") {
      throw new PipelineStateError(
        `${call} is not allowed after plan(): a planned pipeline only describes itself; define a new one to run it`,
      );
    }
    if (this.phase !== "defining") {
      throw new PipelineStateError(`${call} is only allowed before start() (the pipeline is ${this.phase})`);
    }
  }

  /** @throws PipelineStateError unless the pipeline runs */
  running(call: string): void {
    if (this.phase !== "running")
      throw new PipelineStateError(`${call} needs a running pipeline (it is ${this.phase})`);
  }
}
