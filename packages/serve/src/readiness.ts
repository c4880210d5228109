import { type Pipeline, PipelineStateError } from "@jetflow/pipeline";

/**
 * Whether every source of a pipeline has connected and caught up once (`/readyz`): it waits for
 * the pipeline to start, then for `caughtUp()`. Ready stays true afterwards (lag later is a
 * metric, not unreadiness), false if the pipeline fails or stops first.
 */
export class Readiness {
  private state: "waiting" | "ready" | "failed" = "waiting";
  private readonly subscription;

  constructor(private readonly p: Pipeline) {
    this.subscription = p.status$.subscribe((s) => {
      if (s.type === "started") this.waitForCatchUp();
      if ((s.type === "error" || s.type === "stopped") && this.state === "waiting") this.state = "failed";
    });
    this.waitForCatchUp();
  }

  get ready(): boolean {
    return this.state === "ready";
  }

  close(): void {
    this.subscription.unsubscribe();
  }

  private waitForCatchUp(): void {
    this.p.caughtUp().then(
      () => {
        if (this.state === "waiting") this.state = "ready";
      },
      (e: unknown) => {
        // Not running yet: the "started" event asks again. Failing or stopping shows on status$.
        if (!(e instanceof PipelineStateError) && this.state === "waiting") this.state = "failed";
      },
    );
  }
}
