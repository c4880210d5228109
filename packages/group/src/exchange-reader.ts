import type { ChangeBatch } from "@jetflow/core";
import { type Consumer, type ConsumerMessages, DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";
import { Observable } from "rxjs";
import { ExchangeError } from "./errors.js";
import { decodeChange } from "./exchange-codec.js";
import { exchangeStreamName, exchangeSubject } from "./exchange-stream.js";

/** What an {@link ExchangeReader} reads. */
export interface ExchangeReaderOptions {
  readonly group: string;
  readonly edge: string;
  /** The target partition q this reader reads for. */
  readonly partition: number;
  /** The stream sequence read last (the checkpointed one): reading starts after it. 0 reads from the start. */
  readonly after: number;
}

/** One exchange message read back: its change and its stream sequence (checkpoint it once applied). */
export interface ExchangeChange {
  readonly change: ChangeBatch;
  readonly seq: number;
  /** The source partition that published it (`Jf-From`). */
  readonly from: number;
  /** Its epoch there (`Jf-Epoch`). */
  readonly epoch: number;
  /**
   * Messages of the partition the server still held for this reader when it delivered this one
   * (the delivery info's pending count): a lag estimate that costs no request.
   */
  readonly pending: number;
}

/**
 * The receiving end of an exchange: reads `jf.x.<group>.<edge>.<q>` after a stream sequence with
 * an ordered consumer (deleted when the reading stops; one a crashed process left goes after
 * {@link IDLE_MS} idle, not the 5 minutes nats.js gives ordered consumers: a group's tasks start
 * readers at every rebalance, and lingering ones would pile up toward the stream's consumer
 * limit) and gives each message back as
 * the change it holds (same columns and SQL types, retractions included), in stream order. The
 * task owning q applies them and checkpoints the last `seq` with its state, so a new owner
 * resumes with `after` = that sequence and applies each message once.
 *
 * @example
 * ```ts
 * const reader = new ExchangeReader(js, { group: "orders", edge: "by_region", partition: q, after: checkpoint.seq });
 * reader.changes$.subscribe(({ change, seq }) => { view.apply(change); lastSeq = seq; });
 * await reader.stop();
 * ```
 */
export class ExchangeReader {
  /** What each running read consumes from (deleted when it ends). */
  private readonly active = new Map<ConsumerMessages, Consumer>();

  /**
   * The changes, one emission per message, from a consumer started on subscribe (each
   * subscription reads from `after` on its own). A message that does not decode errors it with
   * an {@link ExchangeError}.
   */
  readonly changes$: Observable<ExchangeChange>;

  constructor(
    private readonly js: JetStreamClient,
    readonly options: ExchangeReaderOptions,
  ) {
    const { group, edge, partition, after } = options;
    const subject = exchangeSubject(group, edge, partition);
    if (!Number.isInteger(after) || after < 0)
      throw new RangeError(`after must be a stream sequence >= 0, got ${after}`);
    this.changes$ = new Observable<ExchangeChange>((subscriber) => {
      let messages: ConsumerMessages | undefined;
      let consumer: Consumer | undefined;
      let closed = false;
      const close = () => {
        closed = true;
        if (messages !== undefined) {
          this.active.delete(messages);
          void end(messages, consumer as Consumer);
        }
      };
      (async () => {
        consumer = await this.js.consumers.get(exchangeStreamName(group), {
          filter_subjects: subject,
          inactive_threshold: IDLE_MS,
          ...(after > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 } : {}),
        });
        if (closed) {
          await consumer.delete().catch(() => false);
          return;
        }
        messages = await consumer.consume({
          callback: (m) => {
            if (closed) return;
            let change: ChangeBatch;
            try {
              change = decodeChange(m.data);
            } catch (e) {
              subscriber.error(
                new ExchangeError(group, `${subject} message ${m.seq} does not decode: ${(e as Error).message}`, {
                  cause: e,
                }),
              );
              close();
              return;
            }
            subscriber.next({
              change,
              seq: m.seq,
              from: Number(m.headers?.get("Jf-From")),
              epoch: Number(m.headers?.get("Jf-Epoch")),
              pending: m.info.pending,
            });
          },
        });
        if (closed) void end(messages, consumer);
        else this.active.set(messages, consumer);
      })().catch((e: unknown) =>
        subscriber.error(new ExchangeError(group, `${subject} cannot be read: ${(e as Error).message}`, { cause: e })),
      );
      return close;
    });
  }

  /** Stops every consumer this reader runs, and deletes them. */
  async stop(): Promise<void> {
    const all = [...this.active];
    this.active.clear();
    await Promise.all(all.map(([messages, consumer]) => end(messages, consumer)));
  }
}

/** Milliseconds an exchange reader's consumer may go without a pull before the server deletes it. */
const IDLE_MS = 60_000;

/** Stops reading, then deletes the consumer (best effort: the server deletes it once idle anyway). */
async function end(messages: ConsumerMessages, consumer: Consumer): Promise<void> {
  await messages.close();
  await consumer.delete().catch(() => false);
}
