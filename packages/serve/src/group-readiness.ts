import { type GroupPipeline, PROGRESS_RELATION } from "@jetflow/group";

/**
 * Whether a group member can answer for the whole of every relation (`/readyz` of
 * {@link serveGroup}): every partition of the group runs its task on some member (each answered
 * a progress query) and every partition this member owns runs here. Checked when the server starts
 * and again, one check at a time, whenever readiness is read while not ready. Ready stays true
 * afterwards, as on one pipeline (a partition moving later is a blip queries ride out by asking
 * again, not unreadiness).
 *
 * Not "caught up once", as one pipeline's `/readyz` is: a group is quiet only when nothing arrives
 * for a second, which a busy group may never be.
 */
export class GroupReadiness {
  private state: "waiting" | "checking" | "ready" | "closed" = "waiting";

  constructor(private readonly g: GroupPipeline) {
    this.check();
  }

  get ready(): boolean {
    if (this.state === "waiting") this.check();
    return this.state === "ready";
  }

  close(): void {
    this.state = "closed";
  }

  private check(): void {
    this.state = "checking";
    void this.answering().then(
      (ok) => {
        if (this.state === "checking") this.state = ok ? "ready" : "waiting";
      },
      () => {
        if (this.state === "checking") this.state = "waiting";
      },
    );
  }

  private async answering(): Promise<boolean> {
    const running = new Set(this.g.tasks.running());
    if (![...this.g.member.owned().keys()].every((p) => running.has(p))) return false;
    const { rows } = await this.g.query(PROGRESS_RELATION);
    return rows.length === this.g.plan.partitions;
  }
}
