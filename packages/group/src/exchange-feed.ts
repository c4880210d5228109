import {
  type ChangeBatch,
  type ColumnDef,
  formatSqlType,
  InvalidOptionError,
  schemaOf,
  sqlTypeOfField,
} from "@jetflow/core";
import type { ChangeFeed, FeedChange, FeedSpec, RelationKind } from "@jetflow/pipeline";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { makeData, RecordBatch, type Schema, Struct } from "apache-arrow";
import { Observable, type Subscription } from "rxjs";
import { ExchangeError } from "./errors.js";
import { type ExchangeChange, ExchangeReader } from "./exchange-reader.js";
import { ensureExchangeStream, exchangeStreamName, exchangeSubject } from "./exchange-stream.js";

/** What an {@link exchangeFeed} reads, and the relation it feeds. */
export interface ExchangeFeedOptions {
  /** The group whose exchange stream carries the edge. */
  readonly group: string;
  /** The edge the previous stage's `ExchangeSink` writes. */
  readonly edge: string;
  /** The partition q this task owns: the feed reads `jf.x.<group>.<edge>.<q>`. */
  readonly partition: number;
  /** What the fed relation is to the views over it (see `FeedSpec.kind`). */
  readonly kind: RelationKind;
  /**
   * The relation's columns: the columns, in order, of the relation the previous stage writes into
   * the edge (same names and SQL types; a message with others fails the feed).
   */
  readonly columns: readonly ColumnDef[];
  /** A table's primary key; for a view or source, the key rows are known by (may be empty). */
  readonly key: readonly string[];
}

/**
 * The receiving end of an exchange edge as a pipeline feed (`Pipeline.feed(name, spec)`): the
 * task owning partition q of a stage reads what every task of the previous stage routed to q.
 * Each message becomes one change with offset = its stream sequence, so the pipeline checkpoints
 * the last sequence it applied and a new owner reopens the feed after it: each message is applied
 * once. The changes have exactly the Arrow schema `schemaOf(columns)` gives (the wire schema's
 * nullability and metadata do not leak through).
 *
 * Opening ensures the group's exchange stream exists, so the reading stage may start first.
 *
 * @example
 * ```ts
 * pipeline.feed("orders_by_region", exchangeFeed(js, {
 *   group: "orders", edge: "by_region", partition: q, kind: "table",
 *   columns: [{ name: "region", type: scalar("varchar") }, { name: "amount", type: scalar("bigint") }],
 *   key: ["region"],
 * }));
 * ```
 */
export function exchangeFeed(js: JetStreamClient, options: ExchangeFeedOptions): FeedSpec {
  const { group, edge, partition, kind, columns, key } = options;
  exchangeSubject(group, edge, partition); // validates the names and the partition up front
  const schema = schemaOf(columns);
  const missing = key.find((k) => !columns.some((c) => c.name === k));
  if (missing !== undefined) {
    throw new InvalidOptionError(
      "key",
      `exchange feed of edge "${edge}": key column "${missing}" is not one of its columns (${columns.map((c) => c.name).join(", ")})`,
    );
  }
  return {
    kind,
    columns,
    key,
    async open(after) {
      const jsm = await js.jetstreamManager(false);
      await ensureExchangeStream(jsm, group);
      const last = await lastSequence(jsm, group, exchangeSubject(group, edge, partition));
      const reader = new ExchangeReader(js, { group, edge, partition, after: after ?? 0 });
      return new ExchangeChangeFeed(reader, schema, last);
    },
  };
}

/** The stream sequence of the last message on `subject` (0 when there is none). */
async function lastSequence(jsm: JetStreamManager, group: string, subject: string): Promise<number> {
  const last = await jsm.streams.getMessage(exchangeStreamName(group), { last_by_subj: subject });
  return last?.seq ?? 0;
}

/**
 * An open exchange feed. Invariant: `caughtUp()` resolves only once the subscriber returned from
 * the change of the last message that was on the subject when the feed opened (applied, not just
 * received), or from one after which the server had nothing pending. Subscribe to `changes$`
 * once: each subscription runs a consumer of its own.
 */
class ExchangeChangeFeed implements ChangeFeed {
  readonly changes$: Observable<FeedChange>;
  private pending = 0;
  private closed = false;
  private readonly subscriptions = new Set<Subscription>();
  private readonly caught: Promise<void>;
  private resolveCaught: () => void = () => undefined;
  private rejectCaught: (e: unknown) => void = () => undefined;

  constructor(
    private readonly reader: ExchangeReader,
    schema: Schema,
    target: number,
  ) {
    const { group, edge, partition, after } = reader.options;
    this.caught = new Promise<void>((resolve, reject) => {
      this.resolveCaught = resolve;
      this.rejectCaught = reject;
    });
    // Handled here so a feed closed before it caught up does not reject unobserved.
    this.caught.catch(() => undefined);
    if (target <= after) this.resolveCaught();
    this.changes$ = new Observable<FeedChange>((subscriber) => {
      const sub = reader.changes$.subscribe({
        next: (c: ExchangeChange) => {
          let change: ChangeBatch;
          try {
            change = withSchema(c.change, schema, `edge "${edge}" partition ${partition} message ${c.seq}`);
          } catch (e) {
            const error = new ExchangeError(group, (e as Error).message, { cause: e });
            this.rejectCaught(error);
            subscriber.error(error);
            return;
          }
          this.pending = c.pending;
          subscriber.next({ change, offset: c.seq });
          // Nothing pending after it: every message there was at open is applied (some may be gone).
          if (c.seq >= target || c.pending === 0) this.resolveCaught();
        },
        error: (e: unknown) => {
          this.rejectCaught(e);
          subscriber.error(e);
        },
        complete: () => subscriber.complete(),
      });
      this.subscriptions.add(sub);
      return () => {
        this.subscriptions.delete(sub);
        sub.unsubscribe();
      };
    });
  }

  /** Messages after the one applied last that the server still held for the feed when it sent that one (0 before the first). */
  lag(): number {
    return this.closed ? 0 : this.pending;
  }

  caughtUp(): Promise<void> {
    return this.caught;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { group, edge, partition } = this.reader.options;
    this.rejectCaught(new ExchangeError(group, `exchange feed of edge "${edge}" partition ${partition} closed`));
    for (const sub of this.subscriptions) sub.unsubscribe();
    this.subscriptions.clear();
    await this.reader.stop();
  }
}

/**
 * `change` under `schema`: its columns must have the schema's names and SQL types, in order;
 * the schema's fields (nullability, metadata) replace the wire's.
 */
function withSchema(change: ChangeBatch, schema: Schema, what: string): ChangeBatch {
  const { batch } = change;
  if (batch.schema === schema) return change;
  const have = batch.schema.fields;
  const want = schema.fields;
  if (have.length !== want.length) {
    throw new TypeError(`${what} has ${have.length} columns, expected ${want.length}`);
  }
  want.forEach((f, i) => {
    const h = have[i] as (typeof have)[number];
    const hType = formatSqlType(sqlTypeOfField(h));
    const wType = formatSqlType(sqlTypeOfField(f));
    if (h.name !== f.name || hType !== wType) {
      throw new TypeError(`${what}: column ${i + 1} is "${h.name}" ${hType}, expected "${f.name}" ${wType}`);
    }
  });
  const data = makeData({
    type: new Struct(want),
    length: batch.numRows,
    nullCount: 0,
    children: batch.data.children,
  });
  return { batch: new RecordBatch(schema, data), ops: change.ops };
}
