import { type ChangeBatch, type ColumnDef, RETRACT, schemaOf } from "@jetflow/core";
import { rowsIn } from "@jetflow/operators";
import { type DataType, makeData, RecordBatch, type Schema, Struct, util } from "apache-arrow";
import type { Subscription } from "rxjs";
import { FeedError, RelationNameError } from "./errors.js";
import type { ChangeFeed, FeedChange, FeedSpec } from "./extension.js";
import type { IngestHost } from "./ingest-host.js";
import { InputRelation } from "./input-relation.js";
import type { Relation } from "./relation.js";

/** The consumer key under which a checkpoint records a feed's last applied offset. */
export const FEED_OFFSET_KEY = "feed";

/**
 * A relation fed by a {@link ChangeFeed} (`Pipeline.feed`): to the views planned over it, it is
 * the source, table or view its spec says (see {@link InputRelation} for what each keeps).
 *
 * Resolved in definition order (`columns: { like }` takes the columns of a relation above it);
 * opened after the restore, after the offset the restored checkpoint applied last. Each change is
 * applied synchronously as it arrives, as a source's batch is. Feeds are not throttled when the
 * sinks hold too much: a feed is an Observable, and resubscribing one need not resume where it
 * stopped, so a group bounds what it feeds itself.
 *
 * @example
 * ```ts
 * const r = new FeedRelation("orders", { kind: "table", columns, key: ["id"], open: async (after) => feed });
 * r.resolve((name) => graph.get(name));
 * ```
 */
export class FeedRelation extends InputRelation {
  private opened: ChangeFeed | undefined;
  private subscription: Subscription | undefined;
  /** The offset of the last change applied (or restored); undefined before the first. */
  private applied: number | undefined;
  /** The last arriving schema found to fit (changes of one feed mostly share one). */
  private fits: Schema | undefined;

  constructor(
    name: string,
    readonly spec: FeedSpec,
  ) {
    super(name, spec.kind);
  }

  get key(): readonly string[] {
    return this.spec.key;
  }

  /** Whether it keeps rows (a table); a fed source or view passes changes on. */
  get keepsRows(): boolean {
    return this.kind === "table";
  }

  /** Whether it only ever inserts: a source, or a table without primary key. */
  get appendOnly(): boolean {
    return this.kind === "source" || (this.kind === "table" && this.key.length === 0);
  }

  /**
   * Takes its columns (those of an earlier relation for `like`) and sets up what it keeps.
   * @throws RelationNameError when `like` names no relation; FeedError for a key that is not a column
   */
  resolve(lookup: (relation: string) => Relation | undefined): void {
    const columns = this.columnsGiven(lookup);
    const names = columns.map((c) => c.name);
    const missing = this.key.filter((k) => !names.includes(k));
    if (missing.length > 0) {
      throw new FeedError(
        this.name,
        "columns",
        `key column(s) ${missing.map((k) => `"${k}"`).join(", ")} not among the columns (${names.join(", ")})`,
      );
    }
    this.keep(schemaOf(columns));
  }

  private columnsGiven(lookup: (relation: string) => Relation | undefined): readonly ColumnDef[] {
    const { columns } = this.spec;
    if (!("like" in columns)) return columns;
    const like = lookup(columns.like);
    if (like === undefined) {
      throw new RelationNameError(
        `feed "${this.name}": columns like "${columns.like}", which is not a relation defined before it`,
      );
    }
    return like.columns;
  }

  offsets(): Record<string, number> {
    return this.applied === undefined ? {} : { [FEED_OFFSET_KEY]: this.applied };
  }

  /** Opens the feed after the offset `offsets` restored (undefined on a fresh start) and applies its changes. */
  async open(host: IngestHost, offsets: Readonly<Record<string, number>>): Promise<void> {
    const after = offsets[FEED_OFFSET_KEY];
    this.applied = after;
    const feed = await this.spec.open(after);
    this.opened = feed;
    this.subscription = feed.changes$.subscribe({
      next: (change) => this.onChange(host, change),
      error: (e: unknown) => host.fail(e),
    });
  }

  /**
   * Applies one change by the relation's kind and pushes the result downstream, then records its
   * offset. Synchronous: when it returns, the whole graph reflects the change.
   * @returns the rows the change held
   * @throws FeedError when its columns differ from the feed's, or it retracts into a relation that only inserts
   */
  process(fed: FeedChange): number {
    const change = this.conform(fed.change);
    if (this.appendOnly && retracts(change)) {
      throw new FeedError(this.name, "retraction", `a ${this.kind} only inserts, and offset ${fed.offset} retracts`);
    }
    this.apply(change);
    this.applied = fed.offset;
    return rowsIn(change);
  }

  private onChange(host: IngestHost, fed: FeedChange): void {
    if (!host.accepting()) return;
    try {
      const rows = this.process(fed);
      host.metrics.batch(this.name, { messages: 1, bytes: 0, rows, bad: 0 });
    } catch (e) {
      host.fail(e);
    }
  }

  /**
   * The change on the feed's own schema, which the operators downstream were planned against.
   * A change whose fields have the same names and types (an Arrow IPC round trip reads types back
   * as other classes, metadata and nullability may differ) is put on it as is, no data copied.
   */
  private conform(change: ChangeBatch): ChangeBatch {
    const schema = this.schema;
    const got = change.batch.schema;
    if (got === schema) return change;
    if (got !== this.fits) {
      const bad = schema.fields.findIndex((f, i) => !sameField(f.name, f.type, got.fields[i]));
      if (bad >= 0 || got.fields.length !== schema.fields.length) {
        const expected = schema.fields.map((f) => `${f.name} ${f.type}`).join(", ");
        const found = got.fields.map((f) => `${f.name} ${f.type}`).join(", ");
        throw new FeedError(this.name, "columns", `a change has columns (${found}), the feed (${expected})`);
      }
      this.fits = got;
    }
    const { batch } = change;
    const data = makeData({
      type: new Struct(schema.fields),
      length: batch.numRows,
      nullCount: 0,
      children: batch.data.children,
    });
    return { batch: new RecordBatch(schema, data), ops: change.ops };
  }

  lag(): number {
    return this.opened?.lag() ?? 0;
  }

  caughtUp(): Promise<void> {
    return this.opened?.caughtUp() ?? Promise.resolve();
  }

  unsubscribe(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  async close(): Promise<void> {
    this.unsubscribe();
    const feed = this.opened;
    this.opened = undefined;
    await feed?.close().catch(() => undefined);
  }
}

/** Same name, and the same type up to how it was built (class, nested nullability). */
function sameField(name: string, type: DataType, other: { name: string; type: DataType } | undefined): boolean {
  return other?.name === name && (util.compareTypes(type, other.type) || String(type) === String(other.type));
}

function retracts(change: ChangeBatch): boolean {
  const { ops } = change;
  if (ops === undefined) return false;
  const n = change.batch.numRows;
  for (let i = 0; i < n; i++) if (ops[i] === RETRACT) return true;
  return false;
}
