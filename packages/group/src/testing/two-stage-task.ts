import { deserialize, serialize } from "node:v8";
import { parseSqlType, type RawBatch } from "@jetflow/core";
import { createDecoder, type Decoder } from "@jetflow/decoders";
import type { StateChunk } from "@jetflow/state";
import { type ConsumerMessages, DeliverPolicy, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { nuid } from "@nats-io/transport-node";
import type { Subscription } from "rxjs";
import { ExchangeReader } from "../exchange-reader.js";
import { ExchangeWriter, type SealedEpoch } from "../exchange-writer.js";
import type { PartitionQuery, QueryRows } from "../partition-query.js";
import type { PartitionTask } from "../partition-tasks.js";
import {
  ORDER_COLUMNS,
  ORDERS_TABLE,
  ordersTable,
  REGION_COLUMN,
  REGION_VIEW,
  REGION_VIEW_COLUMNS,
  type RegionTotals,
  regionTotals,
} from "./orders-by-region.js";
import { queryRows } from "./query-rows.js";

/** What a two-stage task commits: where its state is, and how far it reached (for tests to wait on). */
export interface TwoStagePointer {
  readonly key: string;
  /** The last sequence of the orders stream stage 1 applied. */
  readonly ordersSeq: number;
  /** The last sequence of the exchange stage 2 applied. */
  readonly exchangeSeq: number;
  /** How many sealed epochs the state holds unpublished. */
  readonly pending: number;
}

/** A two-stage task's checkpointed state, one object (v8-serialized: chunks and messages are bytes). */
export interface TwoStageState {
  /** Every store of both stages (the table's, the aggregate's, the view's), each a full chunk. */
  readonly chunks: readonly StateChunk[];
  readonly ordersSeq: number;
  readonly exchangeSeq: number;
  /** The last epoch stage 1 sealed: the next owner seals on from the one after it. */
  readonly epoch: number;
  /** Sealed epochs not yet published, oldest first: published once this state's pointer committed. */
  readonly pending: readonly SealedEpoch[];
}

/** Where a {@link TwoStageTask} reads, exchanges and keeps its state. */
export interface TwoStageSetup {
  readonly js: JetStreamClient;
  /** The bucket its checkpoints go to. */
  readonly state: KV;
  /** The orders stream, partitioned by id: subjects `<prefix>.<partition>.<id>`. */
  readonly stream: string;
  readonly prefix: string;
  /** The group: its exchange stream (see `ensureExchangeStream`) carries the edge. */
  readonly group: string;
  readonly partitions: number;
  /** @default "orders-by-region" */
  readonly edge?: string;
}

/** Reads the state a committed pointer names. */
export async function readTwoStageState(state: KV, pointer: TwoStagePointer): Promise<TwoStageState> {
  const e = await state.get(pointer.key);
  if (e === null || e.operation !== "PUT") throw new Error(`two-stage state ${pointer.key} is missing`);
  return deserialize(e.value) as TwoStageState;
}

/**
 * The reference two-stage {@link PartitionTask} (see orders-by-region.ts for the query): for
 * partition p it runs stage 1 over partition p of the orders stream (decode, upsert by id, and
 * route the table's changes by region into an exchange writer) and stage 2 over partition p of
 * the exchange (aggregate by region, then the view).
 *
 * Invariant: a checkpoint captures, between two batches, both stages' stores, the sequences they
 * reach, and stage 1's output since the last checkpoint as a sealed epoch; it publishes that
 * epoch only in `committed()`, once the pointer is committed. So a new owner restores exactly one
 * consistent cut: stage 1 reads on after `ordersSeq`, stage 2 after `exchangeSeq`, and the
 * sealed epochs it holds are published again (the exchange's deduplication stores them once).
 * An epoch sealed into a checkpoint that never committed is never published, and the next owner
 * seals other rows under its number: that is why publishing waits for the commit.
 */
export class TwoStageTask implements PartitionTask {
  private readonly epochPrefix = nuid.next();
  private written = 0;
  /** State keys written or restored, oldest first; the last one's pointer is committed or about to be. */
  private keys: string[] = [];
  private decoder: Decoder | undefined;
  private table: ReturnType<typeof ordersTable> | undefined;
  private totals: RegionTotals | undefined;
  private writer: ExchangeWriter | undefined;
  private reader: ExchangeReader | undefined;
  private readerSub: Subscription | undefined;
  private messages: ConsumerMessages | undefined;
  /** Orders read but not yet applied: applied together, once per burst of deliveries. */
  private inbox: JsMsg[] = [];
  private flushing = false;
  private ordersSeq = 0;
  private exchangeSeq = 0;
  private epoch = 0;
  private pending: SealedEpoch[] = [];
  /** Whether anything changed since the state last written. */
  private dirty = true;
  private stopped = false;
  private failure: unknown;

  constructor(
    private readonly setup: TwoStageSetup,
    readonly partition: number,
  ) {}

  /** The last sequence of the orders stream stage 1 applied (0 before the first). */
  get ordersRead(): number {
    return this.ordersSeq;
  }

  async start(from: unknown): Promise<void> {
    const { js, group, partitions, stream, prefix } = this.setup;
    const edge = this.setup.edge ?? "orders-by-region";
    this.decoder = await createDecoder({
      format: { format: "plain", encode: "json", options: {} },
      columns: Object.entries(ORDER_COLUMNS).map(([name, type]) => ({ name, type: parseSqlType(type, name) })),
      include: [],
    });
    this.table = ordersTable(this.decoder.schema);
    this.totals = regionTotals(this.table.schema);
    this.writer = new ExchangeWriter(js, { group, edge, from: this.partition, partitions });
    if (from !== undefined) await this.restore(from as TwoStagePointer);
    // Epochs restored here were sealed by a committed checkpoint, maybe never (fully) published.
    await this.publishPending();
    this.reader = new ExchangeReader(js, { group, edge, partition: this.partition, after: this.exchangeSeq });
    this.readerSub = this.reader.changes$.subscribe({
      next: ({ change, seq }) => {
        if (this.stopped) return;
        const totals = this.totals as RegionTotals;
        const out = totals.aggregate.process(change);
        if (out !== undefined) totals.view.apply(out);
        this.exchangeSeq = seq;
        this.dirty = true;
      },
      error: (e) => (this.failure ??= e),
    });
    const consumer = await js.consumers.get(stream, {
      filter_subjects: `${prefix}.${this.partition}.*`,
      ...(this.ordersSeq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.ordersSeq + 1 } : {}),
    });
    this.messages = await consumer.consume({
      callback: (m) => {
        if (this.stopped) return;
        this.inbox.push(m);
        if (!this.flushing) {
          this.flushing = true;
          setImmediate(() => this.applyOrders());
        }
      },
    });
  }

  async checkpoint(): Promise<TwoStagePointer> {
    if (this.failure !== undefined) throw this.failure;
    this.applyOrders();
    const last = this.keys.at(-1);
    if (last !== undefined && !this.dirty) return this.pointer(last);
    // Everything below up to the write runs synchronously: one cut between two batches.
    const sealed = (this.writer as ExchangeWriter).seal(++this.epoch);
    if (sealed.targets.length > 0) this.pending.push(sealed);
    const table = this.table as ReturnType<typeof ordersTable>;
    const totals = this.totals as RegionTotals;
    const stores = [...table.stores, ...totals.aggregate.stores, totals.view.store];
    const state: TwoStageState = {
      chunks: stores.map((s) => s.checkpoint(true)),
      ordersSeq: this.ordersSeq,
      exchangeSeq: this.exchangeSeq,
      epoch: this.epoch,
      pending: [...this.pending],
    };
    this.dirty = false;
    const key = `p${this.partition}.${this.epochPrefix}.${++this.written}`;
    await this.setup.state.create(key, serialize(state));
    this.keys.push(key);
    // The pointer to the key before this one was committed (else this task would be stopped), so
    // older ones are no longer named by anything.
    while (this.keys.length > 2) await this.setup.state.purge(this.keys.shift() as string);
    return this.pointer(key, state);
  }

  /** The checkpoint committed: its sealed epochs may be published now (and leave the next state). */
  async committed(): Promise<void> {
    await this.publishPending();
  }

  /**
   * The partition's rows of the view `by_region` (`[region, orders, amount]`, the regions routed
   * to p) or of the table `orders` (`[id, region, amount]`, the ids of p), as they are now.
   */
  query(request: PartitionQuery): QueryRows {
    const table = this.table as ReturnType<typeof ordersTable>;
    const { view } = this.totals as RegionTotals;
    return queryRows(
      {
        [REGION_VIEW]: { columns: REGION_VIEW_COLUMNS, rows: () => view.rows() },
        [ORDERS_TABLE]: { columns: Object.keys(ORDER_COLUMNS), rows: () => table.rows() },
      },
      request,
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.readerSub?.unsubscribe();
    await Promise.all([this.messages?.close(), this.reader?.stop()]);
  }

  private async restore(pointer: TwoStagePointer): Promise<void> {
    const state = await readTwoStageState(this.setup.state, pointer);
    const totals = this.totals as RegionTotals;
    const table = this.table as ReturnType<typeof ordersTable>;
    for (const op of [table, totals.aggregate]) {
      for (const s of op.stores) s.restore(state.chunks.filter((c) => c.storeId === s.id));
      op.restored?.();
    }
    totals.view.store.restore(state.chunks.filter((c) => c.storeId === totals.view.store.id));
    totals.view.restored();
    this.ordersSeq = state.ordersSeq;
    this.exchangeSeq = state.exchangeSeq;
    this.epoch = state.epoch;
    this.pending = [...state.pending];
    this.keys.push(pointer.key);
  }

  private async publishPending(): Promise<void> {
    const writer = this.writer as ExchangeWriter;
    while (this.pending.length > 0) {
      await writer.publish(this.pending[0] as SealedEpoch);
      this.pending.shift();
      this.dirty = true;
    }
  }

  /** Stage 1 on the orders read so far: decode them as one batch, upsert, route the changes. */
  private applyOrders(): void {
    this.flushing = false;
    const msgs = this.inbox;
    if (msgs.length === 0 || this.stopped) return;
    this.inbox = [];
    const n = msgs.length;
    const raw: RawBatch = {
      length: n,
      payloads: msgs.map((m) => m.data),
      subjects: msgs.map((m) => m.subject),
      sequences: Float64Array.from(msgs, (m) => m.seq),
      timestampsUs: Float64Array.from(msgs, (m) => Number(m.info.timestampNanos) / 1000),
      headers: undefined,
      offsets: new Map([[this.setup.stream, (msgs[n - 1] as JsMsg).seq]]),
    };
    const { batch, bad } = (this.decoder as Decoder).decode(raw);
    if (bad.length > 0) {
      this.failure ??= new Error(`orders did not decode: ${bad.map((b) => b.reason).join("; ")}`);
      return;
    }
    const out = (this.table as ReturnType<typeof ordersTable>).process({ batch, ops: undefined });
    if (out !== undefined) (this.writer as ExchangeWriter).add(out, [REGION_COLUMN]);
    this.ordersSeq = (msgs[n - 1] as JsMsg).seq;
    this.dirty = true;
  }

  private pointer(key: string, state?: TwoStageState): TwoStagePointer {
    return {
      key,
      ordersSeq: state?.ordersSeq ?? this.ordersSeq,
      exchangeSeq: state?.exchangeSeq ?? this.exchangeSeq,
      pending: state?.pending.length ?? this.pending.length,
    };
  }
}
