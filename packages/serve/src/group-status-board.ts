import type { GroupPipeline } from "@jetflow/group";
import type { Subscription } from "rxjs";
import type { StatusReading } from "./status-board.js";

/**
 * `/api/status` of a group member: the counters of the partition pipelines it runs, summed, and
 * the time of its last commit (a partition's checkpoint, committed by the fenced write). What this
 * member did, not the whole group: the page's sparklines show the member's share.
 */
export class GroupStatusBoard {
  private lastCommit: number | undefined;
  private commits = 0;
  private readonly subscription: Subscription;

  constructor(private readonly g: GroupPipeline) {
    this.subscription = g.events$.subscribe((e) => {
      if (e.type === "committed") {
        this.lastCommit = Date.now();
        this.commits++;
      }
    });
  }

  read(): StatusReading {
    const pipelines = [...this.g.partitionPipelines().values()];
    const sum = (name: string) => pipelines.reduce((n, pl) => n + pl.metrics.total(name), 0);
    const now = Date.now();
    return {
      now,
      messagesIn: sum("jetflow_messages_in_total"),
      bytesIn: sum("jetflow_bytes_in_total"),
      consumerLag: sum("jetflow_consumer_lag"),
      badMessages: sum("jetflow_decode_errors_total"),
      checkpoints: this.commits,
      checkpointAgeMs: this.lastCommit === undefined ? null : now - this.lastCommit,
    };
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}
