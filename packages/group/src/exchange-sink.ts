import { type ChangeBatch, wholeNumberOption } from "@jetflow/core";
import type { EpochSink } from "@jetflow/pipeline";
import { AckWaiters, type SinkInput } from "@jetflow/sinks";
import { KeyedStore } from "@jetflow/state";
import type { JetStreamClient } from "@nats-io/jetstream";
import { ExchangeError } from "./errors.js";
import { ensureExchangeStream } from "./exchange-stream.js";
import { ExchangeWriter, type SealedEpoch } from "./exchange-writer.js";

/** The store key of the sink's epoch counter. */
const META = "meta";
/** The store key of sealed epoch `e`: `e.<e>`, its {@link SealedEpoch} as is (plain data). */
const epochKey = (epoch: number) => `e.${epoch}`;

interface ExchangeSinkMeta {
  /** The number the next sealed epoch gets. */
  readonly next: number;
}

/** Where an {@link ExchangeSink} writes, and how. */
export interface ExchangeSinkOptions {
  /** The group whose exchange stream carries the edge. */
  readonly group: string;
  /** The edge to the next stage: letters, digits, `-`, `_`. */
  readonly edge: string;
  /** The partition p of this stage the task owns (`Jf-From`, and part of each message id). */
  readonly partition: number;
  /** The partition count of the next stage. */
  readonly partitions: number;
  /** The columns each row is routed by (`partitionOfRow` of their values); empty sends every row to one partition. */
  readonly key: readonly string[];
  /** The next stage upserts by `key` what it is sent (inserts only): send each key's last row per epoch. @default false */
  readonly lastPerKey?: boolean;
  /**
   * The id of its {@link ExchangeSink.store} among the pipeline's stores.
   * @default `<edge>/exchange`
   */
  readonly id?: string;
  /**
   * How long to wait before publishing an epoch again after a failure.
   * @default 1_000
   */
  readonly retryDelayMs?: number;
  /** Hears about each failed publish (it is retried). @default ignored */
  readonly onError?: (e: ExchangeError) => void;
}

/**
 * The sending end of an exchange edge as a pipeline output (`Pipeline.output(name, relation,
 * sink)`): the task owning partition p of a stage routes each change of a relation by `key` into
 * an {@link ExchangeWriter}, for the tasks of the next stage to read with `exchangeFeed`.
 *
 * Invariant: an epoch is published only after a checkpoint holding it committed. {@link seal}
 * (in the tick of a checkpoint's capture) seals the writer's open epoch under the next number and
 * puts it in {@link store}, so that checkpoint holds it; {@link committed} lets the epochs sealed
 * so far be published, oldest first, each deleted from the store once every message is acked.
 * An epoch sealed by a capture whose checkpoint failed stays in the store and goes with the next
 * commit. A new owner restored from a checkpoint publishes the epochs it holds again under the
 * same message ids (the exchange stream stores them once) and numbers on after them.
 *
 * @example
 * ```ts
 * const sink = new ExchangeSink(js, { group: "orders", edge: "by_region", partition: p, partitions: 16, key: ["region"] });
 * pipeline.output("by_region", "orders", sink);
 * ```
 */
export class ExchangeSink implements EpochSink {
  /** The epoch counter and the sealed epochs not yet published: checkpointed with the pipeline. */
  readonly store: KeyedStore<unknown>;
  private readonly retryDelayMs: number;
  private writer: ExchangeWriter;
  private keyColumns: number[] | undefined;
  /** Rows added since the last seal: an epoch without any is not sealed. */
  private rowsOpen = 0;
  /** The sealed epochs in the store by number, with their message counts. */
  private readonly sealed = new Map<number, number>();
  private sealedMessages = 0;
  /** The highest epoch a committed checkpoint holds: publishable. */
  private committedUpTo = -1;
  private opened = false;
  private closed = false;
  private pumping: Promise<void> | undefined;
  /** Ends the wait before the next retry (set while waiting). */
  private wakeRetry: (() => void) | undefined;
  private readonly waiters = new AckWaiters();

  constructor(
    private readonly js: JetStreamClient,
    readonly options: ExchangeSinkOptions,
  ) {
    this.writer = this.newWriter();
    this.retryDelayMs = wholeNumberOption("retryDelayMs", options.retryDelayMs, 1_000, 0);
    this.store = new KeyedStore<unknown>(options.id ?? `${options.edge}/exchange`);
  }

  /** Resolves the key columns in the relation's columns. @throws ExchangeError naming a missing one */
  bind(input: SinkInput): void {
    const names = input.columns.map((c) => c.name);
    this.keyColumns = this.options.key.map((k) => {
      const i = names.indexOf(k);
      if (i < 0) {
        throw new ExchangeError(
          this.options.group,
          `exchange edge "${this.options.edge}" over "${input.name}": key column "${k}" is not one of its columns (${names.join(", ")})`,
        );
      }
      return i;
    });
  }

  /** Ensures the group's exchange stream exists, then publishes what restored epochs are pending. */
  async open(): Promise<void> {
    await ensureExchangeStream(await this.js.jetstreamManager(false), this.options.group);
    this.opened = true;
    this.pump();
  }

  /**
   * After the store was restored (or found empty): picks up the epoch counter and the sealed
   * epochs, all publishable (the checkpoint holding them committed), and drops the open epoch.
   */
  restored(): void {
    if (this.store.get(META) === undefined) this.store.set(META, { next: 1 } satisfies ExchangeSinkMeta);
    this.writer = this.newWriter();
    this.rowsOpen = 0;
    this.sealed.clear();
    this.sealedMessages = 0;
    for (const [key, value] of this.store.entries()) {
      if (key === META) continue;
      const epoch = value as SealedEpoch;
      this.sealed.set(epoch.epoch, messagesOf(epoch));
      this.sealedMessages += messagesOf(epoch);
    }
    this.committedUpTo = this.meta().next - 1;
  }

  /** Nothing to reset: message ids are made of the edge, partitions and epoch numbers. */
  async resetIfFresh(): Promise<void> {}

  /** Routes a change's rows by the key into the open epoch. */
  onChange(change: ChangeBatch): void {
    if (this.keyColumns === undefined) {
      throw new Error(`internal: exchange sink of edge "${this.options.edge}" used before bind()`);
    }
    this.writer.add(change, this.keyColumns);
    this.rowsOpen += change.batch.numRows;
  }

  /**
   * Messages of sealed epochs not yet acked (counted per epoch: an epoch leaves the count once
   * all of it is acked). The open epoch is encoded only when sealed, so it does not count.
   */
  get pending(): number {
    return this.sealedMessages;
  }

  /** {@link pending}, plus 1 while the open epoch holds rows: 0 when everything it was given is sent and acked. */
  get unsent(): number {
    return this.sealedMessages + (this.writer?.buffering === true ? 1 : 0);
  }

  /**
   * Seals the open epoch into the store under the next number. An epoch without rows is not
   * sealed and takes no number; one whose rows all cancel out takes its number but stores nothing.
   */
  seal(): void {
    if (this.rowsOpen === 0) return;
    const epoch = this.meta().next;
    const sealed = this.writer.seal(epoch);
    this.rowsOpen = 0;
    this.store.set(META, { next: epoch + 1 } satisfies ExchangeSinkMeta);
    if (sealed.targets.length === 0) return;
    this.store.set(epochKey(epoch), sealed);
    this.sealed.set(epoch, messagesOf(sealed));
    this.sealedMessages += messagesOf(sealed);
  }

  /** The checkpoint holding every epoch sealed so far committed: publishes them in the background, in order. */
  committed(): void {
    this.committedUpTo = this.meta().next - 1;
    this.pump();
  }

  /** Resolves once every committed epoch is published and acked (at once when none is waiting). */
  drained(): Promise<void> {
    return this.waiters.drained(!this.hasCommittedWork() || this.closed);
  }

  /** Resolves once at most `n` messages are pending (see {@link pending}). */
  pendingAtMost(n: number): Promise<void> {
    return this.waiters.pendingAtMost(n, this.pending, this.closed);
  }

  /** Stops publishing after the epoch in flight (what is unpublished stays in the store). */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeRetry?.();
    await this.pumping;
    this.waiters.releaseAll();
  }

  private newWriter(): ExchangeWriter {
    const { group, edge, partition, partitions, lastPerKey } = this.options;
    return new ExchangeWriter(this.js, {
      group,
      edge,
      from: partition,
      partitions,
      ...(lastPerKey === undefined ? {} : { lastPerKey }),
    });
  }

  private meta(): ExchangeSinkMeta {
    return (this.store.get(META) as ExchangeSinkMeta | undefined) ?? { next: 1 };
  }

  /** The oldest sealed epoch a committed checkpoint holds. */
  private nextCommitted(): number | undefined {
    let oldest: number | undefined;
    for (const epoch of this.sealed.keys()) {
      if (epoch <= this.committedUpTo && (oldest === undefined || epoch < oldest)) oldest = epoch;
    }
    return oldest;
  }

  private hasCommittedWork(): boolean {
    return this.nextCommitted() !== undefined;
  }

  private pump(): void {
    if (this.pumping !== undefined || !this.opened || this.closed) return;
    this.pumping = this.publishCommitted().finally(() => {
      this.pumping = undefined;
      if (this.closed || !this.hasCommittedWork()) this.waiters.releaseDrained();
      // committed() may have come between the loop's last look and here.
      else this.pump();
    });
  }

  private async publishCommitted(): Promise<void> {
    for (let epoch = this.nextCommitted(); epoch !== undefined && !this.closed; epoch = this.nextCommitted()) {
      const key = epochKey(epoch);
      try {
        await this.writer.publish(this.store.get(key) as SealedEpoch);
      } catch (e) {
        const error =
          e instanceof ExchangeError
            ? e
            : new ExchangeError(this.options.group, `edge "${this.options.edge}": ${(e as Error).message}`, {
                cause: e,
              });
        this.options.onError?.(error);
        await this.pause();
        continue;
      }
      this.store.delete(key);
      this.sealedMessages -= this.sealed.get(epoch) ?? 0;
      this.sealed.delete(epoch);
      this.waiters.pendingNow(this.pending);
    }
  }

  /** Waits `retryDelayMs`, or less if the sink closes meanwhile. */
  private pause(): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeRetry = undefined;
        resolve();
      };
      const timer = setTimeout(wake, this.retryDelayMs);
      this.wakeRetry = wake;
    });
  }
}

function messagesOf(sealed: SealedEpoch): number {
  return sealed.targets.reduce((n, t) => n + t.messages.length, 0);
}
