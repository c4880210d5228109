import { batchCells, type Cell, type ColumnDef, rowJson } from "@jetflow/core";
import type { GroupPipeline } from "@jetflow/group";
import type { Table } from "apache-arrow";
import { Observable, Subject } from "rxjs";
import { rowFormat } from "./row-format.js";
import type { ChangeFeed } from "./served-relations.js";

/** Polls with no subscriber before a relation's poll stops. */
const IDLE_POLLS = 2;

/**
 * The change streams of a group's relations, as a member serves them (`/changes` of
 * {@link serveGroup}): a member holds the changes of its own partitions only, so the whole
 * relation's changes are found by gathering it (`GroupPipeline.table`) every `pollMs` and
 * comparing with the last gather: rows gone are retractions, rows new are inserts, one `change`
 * event per poll that changed anything. Applying the events in order to the snapshot gives the
 * relation's rows as of the last poll, exactly: the snapshot is a poll's table and the events
 * those of the polls after it.
 *
 * What it costs and what it is not: a whole gather per watched relation and poll, shared by every
 * client watching it (the poll stops once nobody watches); changes come at most `pollMs` late and
 * coalesced (a row updated twice between two polls is one retraction and one insert; one updated
 * and back is nothing), not batch by batch as on one pipeline.
 */
export class GroupChangePolls {
  private readonly polls = new Map<string, RelationPoll>();

  constructor(
    private readonly g: GroupPipeline,
    private readonly pollMs: number,
  ) {}

  /** The change feed of relation `name`: once its first gather is in. */
  async feed(name: string, columns: readonly ColumnDef[]): Promise<ChangeFeed> {
    let poll = this.polls.get(name);
    if (poll === undefined) {
      poll = new RelationPoll(
        () => this.g.table(name),
        columns,
        this.pollMs,
        () => this.polls.delete(name),
      );
      this.polls.set(name, poll);
    }
    const started = poll;
    await started.first;
    return { columns, snapshot: () => started.latest, changeEvents$: started.events$ };
  }

  /** Stops every poll (their subscribers see no more events). */
  close(): void {
    for (const poll of [...this.polls.values()]) poll.stop();
  }
}

/** One relation's poll: its latest gathered table, and the events between gathers. */
class RelationPoll {
  latest: Table | undefined;
  readonly first: Promise<void>;
  readonly events$: Observable<string>;
  private readonly subject = new Subject<string>();
  private rows = new Map<string, number>();
  private watchers = 0;
  private idle = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly gather: () => Promise<Table>,
    private readonly columns: readonly ColumnDef[],
    private readonly pollMs: number,
    private readonly ended: () => void,
  ) {
    this.events$ = new Observable<string>((subscriber) => {
      this.watchers++;
      const s = this.subject.subscribe(subscriber);
      return () => {
        s.unsubscribe();
        this.watchers--;
      };
    });
    this.first = this.poll();
    this.first.then(
      () => this.schedule(),
      () => this.stop(),
    );
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.subject.complete();
    this.ended();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      if (this.watchers === 0 && ++this.idle >= IDLE_POLLS) return this.stop();
      if (this.watchers > 0) this.idle = 0;
      // A gather that fails (a partition moving) is tried again at the next poll.
      this.poll().then(
        () => this.schedule(),
        () => this.schedule(),
      );
    }, this.pollMs);
    this.timer.unref();
  }

  /** Gathers the relation, and emits what changed since the last gather (nothing the first time). */
  private async poll(): Promise<void> {
    const table = await this.gather();
    if (this.stopped) return;
    const rows = rowCounts(table, this.columns);
    const changes: string[] = [];
    for (const [row, n] of this.rows) {
      for (let i = rows.get(row) ?? 0; i < n; i++) changes.push(`{"op":"-","row":${row}}`);
    }
    for (const [row, n] of rows) {
      for (let i = this.rows.get(row) ?? 0; i < n; i++) changes.push(`{"op":"+","row":${row}}`);
    }
    const firstPoll = this.latest === undefined;
    this.latest = table;
    this.rows = rows;
    if (!firstPoll && changes.length > 0) this.subject.next(`[${changes.join(",")}]`);
  }
}

/** Every row of `table` as its JSON text (as `GET /api/relations/NAME` writes it), with how many times it is there. */
function rowCounts(table: Table, columns: readonly ColumnDef[]): Map<string, number> {
  const { keys } = rowFormat(columns);
  const cells: Cell[][] = [];
  for (const batch of table.batches) batchCells(batch, columns, cells);
  const counts = new Map<string, number>();
  for (const row of cells) {
    const text = rowJson(keys, row);
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return counts;
}
