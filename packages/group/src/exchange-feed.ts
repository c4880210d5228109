import type { ChangeFeed, FeedChange, FeedSpec, RelationKind } from "@jetflow/pipeline";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
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
   * The relation's columns: those, in order, of the relation the previous stage writes into the
   * edge (the pipeline puts every change on their schema; a message with others fails it).
   */
  readonly columns: FeedSpec["columns"];
  /** A table's primary key; for a view or source, the key rows are known by (may be empty). */
  readonly key: readonly string[];
}

/**
 * The receiving end of an exchange edge as a pipeline feed (`Pipeline.feed(name, spec)`): the
 * task owning partition q of a stage reads what every task of the previous stage routed to q.
 * Each message becomes one change with offset = its stream sequence, so the pipeline checkpoints
 * the last sequence it applied and a new owner reopens the feed after it: each message is applied
 * once. The changes come as the wire has them; the pipeline puts them on the columns' schema.
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
  return {
    kind,
    columns,
    key,
    async open(after) {
      const jsm = await js.jetstreamManager(false);
      await ensureExchangeStream(jsm, group);
      const last = await lastSequence(jsm, group, exchangeSubject(group, edge, partition));
      const reader = new ExchangeReader(js, { group, edge, partition, after: after ?? 0 });
      return new ExchangeChangeFeed(reader, last);
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
    target: number,
  ) {
    const { after } = reader.options;
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
          this.pending = c.pending;
          subscriber.next({ change: c.change, offset: c.seq });
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
