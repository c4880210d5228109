import { type ChangeBatch, type SqlType, sqlTypeOfField, wholeNumberOption } from "@jetflow/core";
import { concatChanges, consolidate, lastPerKey, rowsIn, takeChange } from "@jetflow/operators";
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import type { Data, Schema } from "apache-arrow";
import { ExchangeError } from "./errors.js";
import { encodeChange } from "./exchange-codec.js";
import { exchangeStreamName, exchangeSubject } from "./exchange-stream.js";
import { partitionsOfRows } from "./partition-key.js";

/** Where an {@link ExchangeWriter} publishes, and how. */
export interface ExchangeWriterOptions {
  /** The group whose exchange stream (see `ensureExchangeStream`) carries the edge. */
  readonly group: string;
  /** The edge between two stages: letters, digits, `-`, `_`. */
  readonly edge: string;
  /** The source partition p this writer publishes for. */
  readonly from: number;
  /** The partition count of the next stage: rows go to `partitionOfRow(key, partitions)`. */
  readonly partitions: number;
  /**
   * The largest message published (a single row larger than this is a message of its own); below
   * the server's `max_payload` (1 MiB by default) with room for headers.
   * @default 1_000_000
   */
  readonly maxMessageBytes?: number;
  /** @default 64 */
  readonly maxAcksInFlight?: number;
  /**
   * The edge feeds a table keyed by the routing key, with inserts only: an epoch sends only the
   * last row per key (what the table keeps of them). @default false (every row, consolidated)
   */
  readonly lastPerKey?: boolean;
}

/**
 * One epoch of one writer, sealed: for each target partition the messages to publish, in order.
 * Plain data (numbers and `Uint8Array`s; msgpack keeps it as is, JSON needs the bytes as base64),
 * so a task keeps it in its checkpoint and publishes it again after a crash.
 */
export interface SealedEpoch {
  readonly edge: string;
  readonly from: number;
  readonly epoch: number;
  readonly targets: readonly { readonly partition: number; readonly messages: readonly Uint8Array[] }[];
}

/**
 * The sending end of an exchange (a Kafka Streams repartition topic): the task owning partition
 * p of a stage routes each row of its changes to the partition of its next key, and publishes
 * an epoch's rows, once sealed, to `jf.x.<group>.<edge>.<q>` for each target q.
 *
 * Invariant: message i of target q of epoch e from partition p always carries `Nats-Msg-Id`
 * `<edge>:<p>:<e>:<q>:<i>` and the same bytes, because a sealed epoch is plain data that the task
 * keeps in its checkpoint and publishes only once that checkpoint committed. So publishing it
 * again (a retry, or a new owner after a crash between the commit and the last ack) is dropped
 * by the stream's duplicate window: each row is stored once. (Publishing an epoch no committed
 * checkpoint holds would break this: a new owner could seal other rows under the same ids.)
 *
 * @example
 * ```ts
 * const w = new ExchangeWriter(js, { group: "orders", edge: "by_region", from: p, partitions: 16 });
 * w.add(change, [2]); // column 2 is the next stage's key
 * const sealed = w.seal(epoch); // keep it in the checkpoint of this epoch
 * await w.publish(sealed); // once that checkpoint committed
 * ```
 */
export class ExchangeWriter {
  private readonly maxBytes: number;
  private readonly maxInFlight: number;
  private schema: Schema | undefined;
  private types: SqlType[] = [];
  /** The key columns rows were routed by (the first change's). */
  private keyColumns: readonly number[] = [];
  private open = new Map<number, ChangeBatch[]>();
  private lastSealed = -1;
  private lastPublished = -1;
  private publishing: Promise<void> = Promise.resolve();

  constructor(
    private readonly js: JetStreamClient,
    readonly options: ExchangeWriterOptions,
  ) {
    exchangeSubject(options.group, options.edge, options.from); // validates both names
    this.maxBytes = wholeNumberOption("maxMessageBytes", options.maxMessageBytes, 1_000_000, 1024);
    this.maxInFlight = wholeNumberOption("maxAcksInFlight", options.maxAcksInFlight, 64, 1);
    wholeNumberOption("partitions", options.partitions, 1, 1);
  }

  /** Whether the open epoch holds rows (routed, not yet sealed). */
  get buffering(): boolean {
    return this.open.size > 0;
  }

  /** Routes each row of `change` by the values of `keyColumns` into the open epoch. */
  add(change: ChangeBatch, keyColumns: readonly number[]): void {
    const { batch } = change;
    if (this.schema === undefined) {
      this.schema = batch.schema;
      this.types = batch.schema.fields.map((f) => sqlTypeOfField(f));
    } else if (!sameFields(this.schema, batch.schema)) {
      throw new ExchangeError(
        this.options.group,
        `edge "${this.options.edge}": a change's columns differ from the first change's`,
      );
    }
    const rows = batch.numRows;
    if (rows === 0) return;
    this.keyColumns = keyColumns;
    const keyTypes = keyColumns.map((c) => {
      const t = this.types[c];
      if (t === undefined)
        throw new RangeError(`key column ${c} is not a column of the change (it has ${this.types.length})`);
      return t;
    });
    const keys = keyColumns.map((c) => batch.data.children[c] as Data);
    const q = partitionsOfRows(keys, keyTypes, rows, this.options.partitions);
    for (const [t, rowsOf] of rowsByPartition(q, this.options.partitions)) {
      const part = takeChange(change, this.schema, this.types, rowsOf);
      const list = this.open.get(t);
      if (list === undefined) this.open.set(t, [part]);
      else list.push(part);
    }
  }

  /**
   * Closes the open epoch as `epoch` (greater than the last sealed) and starts the next. Each
   * target's rows are consolidated (`consolidate`: a row inserted and retracted within the epoch
   * does not cross; a group that changed many times sends its first old and last new row).
   */
  seal(epoch: number): SealedEpoch {
    if (!Number.isInteger(epoch) || epoch <= this.lastSealed) {
      throw new RangeError(`epoch must be a whole number above the last sealed (${this.lastSealed}), got ${epoch}`);
    }
    this.lastSealed = epoch;
    const schema = this.schema as Schema;
    const targets = [...this.open]
      .sort(([a], [b]) => a - b)
      .map(([partition, parts]) => ({ partition, change: this.combine(concatChanges(parts, schema, this.types)) }))
      .filter(({ change }) => rowsIn(change) > 0)
      .map(({ partition, change }) => ({ partition, messages: encodeChange(change, this.types, this.maxBytes) }));
    this.open = new Map();
    return { edge: this.options.edge, from: this.options.from, epoch, targets };
  }

  /**
   * What of an epoch's rows for one target must cross: within an epoch a row inserted and
   * retracted again never needs to, nor (for a keyed table's rows) any but a key's last row.
   */
  private combine(change: ChangeBatch): ChangeBatch {
    const schema = this.schema as Schema;
    const combined =
      this.options.lastPerKey === true ? lastPerKey(change, schema, this.types, this.keyColumns) : change;
    return consolidate(combined, schema, this.types);
  }

  /**
   * Publishes a sealed epoch and resolves once the stream acknowledged every message (at most
   * `maxAcksInFlight` unacknowledged at a time). Publishes run one after another, epochs in
   * order: an epoch older than one already published is refused; the same one again is a retry.
   */
  publish(sealed: SealedEpoch): Promise<void> {
    const { edge, from, group } = this.options;
    if (sealed.edge !== edge || sealed.from !== from) {
      return Promise.reject(
        new ExchangeError(
          group,
          `sealed epoch of edge "${sealed.edge}" from ${sealed.from} given to the writer of "${edge}" from ${from}`,
        ),
      );
    }
    const run = this.publishing.then(() => this.send(sealed));
    this.publishing = run.catch(() => undefined);
    return run;
  }

  private async send(sealed: SealedEpoch): Promise<void> {
    const { edge, from, group } = this.options;
    if (sealed.epoch < this.lastPublished) {
      throw new ExchangeError(
        group,
        `edge "${edge}" from ${from}: epoch ${sealed.epoch} published after epoch ${this.lastPublished}`,
      );
    }
    const stream = exchangeStreamName(group);
    const pending = new Set<Promise<PubAck>>();
    let failed: unknown;
    for (const { partition: q, messages } of sealed.targets) {
      const subject = exchangeSubject(group, edge, q);
      for (let i = 0; i < messages.length && failed === undefined; i++) {
        const h = headers();
        h.set("Jf-Epoch", String(sealed.epoch));
        h.set("Jf-From", String(from));
        const ack = this.js.publish(subject, messages[i] as Uint8Array, {
          msgID: `${edge}:${from}:${sealed.epoch}:${q}:${i}`,
          headers: h,
          expect: { streamName: stream },
        });
        pending.add(ack);
        ack.then(
          () => pending.delete(ack),
          (e: unknown) => {
            pending.delete(ack);
            failed ??= e;
          },
        );
        if (pending.size >= this.maxInFlight) await Promise.race(pending).catch(() => undefined);
      }
    }
    await Promise.allSettled(pending);
    if (failed !== undefined) {
      throw new ExchangeError(
        group,
        `edge "${edge}" from ${from}: epoch ${sealed.epoch} not published: ${(failed as Error).message}`,
        {
          cause: failed,
        },
      );
    }
    this.lastPublished = sealed.epoch;
  }
}

/** The rows of each partition named in `q` (row i goes to `q[i]`), in row order. */
function rowsByPartition(q: Uint32Array, n: number): Map<number, Int32Array> {
  const counts = new Int32Array(n);
  for (const t of q) counts[t] = (counts[t] as number) + 1;
  const out = new Map<number, Int32Array>();
  counts.forEach((c, t) => {
    if (c > 0) out.set(t, new Int32Array(c));
  });
  const fill = new Int32Array(n);
  q.forEach((t, i) => {
    const k = fill[t] as number;
    (out.get(t) as Int32Array)[k] = i;
    fill[t] = k + 1;
  });
  return out;
}

function sameFields(a: Schema, b: Schema): boolean {
  return (
    a.fields.length === b.fields.length &&
    a.fields.every((f, i) => f.name === b.fields[i]?.name && f.typeId === b.fields[i]?.typeId)
  );
}
