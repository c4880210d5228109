import { randomUUID } from "node:crypto";
import { connectNats, createdStreamConfig, featuresOf } from "@jetflow/connector-nats";
import { type ChangeBatch, messageOf } from "@jetflow/core";
import { KeyedStore } from "@jetflow/state";
import { jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { AckPublisher } from "./ack-publisher.js";
import { AckWaiters } from "./ack-waiters.js";
import { deliverAtomic, MAX_BATCH_MESSAGES } from "./atomic-batch.js";
import { type DeliveryCounters, type DeliveryOptions, deliver } from "./deliver.js";
import { Encoder, type SinkInput } from "./encoder.js";
import { EpochBuffer, type MessageChunk, MessageOp } from "./epoch-buffer.js";
import { SinkError } from "./errors.js";
import { messageHeaders, type OutgoingMessage } from "./outgoing-message.js";
import type { SinkConfig } from "./sink-options.js";

/** Messages per stored chunk of a sealed epoch: bounds one state value's size. */
const CHUNK_MESSAGES = 4096;
/** The store key of the sink's identity and epoch counter. */
const META = "meta";

interface SinkMeta {
  /** A random id made when the sink first ran with this state: the `Nats-Msg-Id` prefix. */
  readonly instance: string;
  /** The epoch the next seal gets. */
  readonly next: number;
}

/** Options of {@link NatsSink}. */
export interface NatsSinkOptions {
  /** Counts published / failed / retried messages. @default none kept */
  readonly counters?: DeliveryCounters;
  /** Hears about publish failures (they are retried). @default ignored */
  readonly onError?: (e: unknown) => void;
  /** Replaces the connection's `server_url` (the CLI's `--server`). */
  readonly servers?: readonly string[];
  /** Hears about each epoch once every message of it is acked. @default ignored */
  readonly onDelivered?: (delivery: SinkDelivery) => void;
}

/** An epoch a sink delivered: every message acked by the stream (or written to the bucket). */
export interface SinkDelivery {
  /** The epoch's number (one per checkpoint that sealed changes). */
  readonly epoch: number;
  /** Its messages. */
  readonly messages: number;
  /** How they went: as atomic batches (nats-server 2.12+), one by one, or as KV puts/deletes. */
  readonly mode: "atomic" | "one_by_one" | "kv";
}

/**
 * A sink: the changes of one relation, published to a JetStream stream or a KV bucket exactly
 * once across crashes.
 *
 * Invariant: a change is published only after the checkpoint holding it committed. Changes fill
 * the current epoch; {@link seal} (called in the tick a checkpoint captures) moves the epoch's
 * messages into the sink's {@link store}, so they are part of that checkpoint; {@link committed}
 * then publishes the sealed epochs with `Nats-Msg-Id` = `<instance>:<sink>:<epoch>:<index>` and
 * deletes each from the store once every message is acked. After a crash the restored store
 * still holds the epochs that may not have landed: they are published again with the same ids,
 * and JetStream's duplicate window drops those that did. A KV sink puts / deletes by key: last
 * write wins, so a replay is harmless.
 *
 * @example
 * ```ts
 * const sink = new NatsSink("totals_out", resolveSinkOptions(withOptions, "upsert"));
 * sink.bind({ name: "totals", columns, key: ["region"], appendOnly: false });
 * await sink.open();
 * relation.feed((change) => sink.onChange(change));
 * // at each checkpoint: sink.seal() when capturing, sink.committed() after it committed
 * ```
 */
export class NatsSink {
  /** The sealed epochs not yet fully acked, and the sink's identity: checkpointed with the pipeline. */
  readonly store: KeyedStore<unknown>;
  private readonly buffer = new EpochBuffer();
  private encoder: Encoder | undefined;
  private nc: NatsConnection | undefined;
  private publisher: AckPublisher | undefined;
  private send: ((chunk: MessageChunk, i: number, id: string) => Promise<unknown>) | undefined;
  private atomic = false;
  /** Sealed epochs by number: their chunk keys and message count. */
  private readonly sealed = new Map<number, { keys: string[]; messages: number }>();
  private sealedMessages = 0;
  /** The highest epoch covered by a committed checkpoint: publishable. */
  private committedUpTo = -1;
  private pumping: Promise<void> | undefined;
  private closed = false;
  /** The store had no identity when restored: this sink starts from nothing. */
  private fresh = true;
  private readonly waiters = new AckWaiters();

  constructor(
    readonly name: string,
    readonly config: SinkConfig,
    private readonly options: NatsSinkOptions = {},
  ) {
    this.store = new KeyedStore<unknown>(`${name}/sink`);
  }

  /**
   * Whether epochs go to the stream as atomic batches: the server is 2.12+ and the stream allows
   * atomic publish (a stream jetflow creates does there). Known after {@link open}.
   */
  get atomicBatch(): boolean {
    return this.atomic;
  }

  /** Checks the relation against the format (append-only, key, subject columns). @throws SinkError */
  bind(input: SinkInput): void {
    this.encoder = new Encoder(this.name, this.config, input);
  }

  /** Connects, and checks that a stream captures the subject (or creates it) / opens the bucket. */
  async open(): Promise<void> {
    const connection =
      this.options.servers === undefined
        ? this.config.connection
        : { ...this.config.connection, servers: this.options.servers };
    const nc = await connectNats(connection, { name: `sink:${this.name}` });
    this.nc = nc;
    try {
      const target = this.config.target;
      if (target.kind === "kv") {
        await openBucket(nc, target.bucket, this.name);
        // Puts and deletes as the KV client writes them (`$KV.<bucket>.<key>`, a delete marked by
        // `KV-Operation: DEL`), through the publisher: no request (promise, timer, error object)
        // per key, which made a KV sink cost as much as its encoding.
        const publisher = new AckPublisher(nc);
        this.publisher = publisher;
        const prefix = `$KV.${target.bucket}.`;
        this.send = (c, i) => {
          const h = headers();
          const del = c.o[i] === MessageOp.delete;
          if (del) h.set("KV-Operation", "DEL");
          return publisher.publish(prefix + (c.s[i] as string), del ? "" : (c.p[i] as string), h);
        };
      } else {
        this.atomic = await this.ensureStream(nc);
        const publisher = new AckPublisher(nc);
        this.publisher = publisher;
        this.send = (c, i, id) => {
          const m = outgoing(c, i, id);
          return publisher.publish(m.subject, m.payload, m.headers);
        };
      }
    } catch (e) {
      await nc.close().catch(() => undefined);
      this.nc = undefined;
      throw e;
    }
  }

  /** After the store was restored (or found empty): picks up the sealed epochs and the identity. */
  restored(): void {
    this.fresh = this.store.get(META) === undefined;
    if (this.fresh) this.store.set(META, { instance: randomUUID(), next: 0 } satisfies SinkMeta);
    this.sealed.clear();
    this.sealedMessages = 0;
    for (const [key, value] of this.store.entries()) {
      if (key === META) continue;
      const epoch = Number(key.split(".")[1]);
      const entry = this.sealed.get(epoch) ?? { keys: [], messages: 0 };
      entry.keys.push(key);
      entry.messages += (value as MessageChunk).s.length;
      this.sealed.set(epoch, entry);
      this.sealedMessages += (value as MessageChunk).s.length;
    }
    for (const entry of this.sealed.values()) entry.keys.sort(byChunk);
    // Whatever was sealed in the restored checkpoint was committed.
    this.committedUpTo = this.meta().next - 1;
  }

  /**
   * A KV sink that starts without state (a first run, or the in-memory state) empties its bucket
   * first: the bucket then holds exactly the relation's rows, not keys of an earlier run. Call
   * after {@link open} and {@link restored}, before changes flow. A stream sink keeps its stream.
   */
  async resetIfFresh(): Promise<void> {
    const target = this.config.target;
    if (!this.fresh || target.kind !== "kv" || this.nc === undefined) return;
    const jsm = await jetstreamManager(this.nc);
    try {
      await jsm.streams.purge(`KV_${target.bucket}`);
    } catch (e) {
      throw new SinkError(
        this.name,
        `sink "${this.name}": emptying KV bucket '${target.bucket}' failed: ${messageOf(e)}`,
        {
          cause: e,
        },
      );
    }
  }

  /** Encodes a change of the relation into the current epoch. */
  onChange(change: ChangeBatch): void {
    if (this.encoder === undefined) throw new Error(`internal: sink "${this.name}" used before bind()`);
    this.encoder.encode(change, this.buffer);
  }

  /** Messages not yet acked: the current epoch's and the sealed ones'. What backpressure watches. */
  get pending(): number {
    return this.buffer.length + (this.encoder?.deferred ?? 0) + this.sealedMessages;
  }

  /**
   * Seals the current epoch into the store. Call it in the same tick as the checkpoint capture,
   * so the checkpoint holds exactly the changes its offsets produced.
   */
  seal(): void {
    this.encoder?.flush(this.buffer);
    if (this.buffer.length === 0) return;
    const meta = this.meta();
    const epoch = meta.next;
    const chunks = this.buffer.take(CHUNK_MESSAGES);
    const keys = chunks.map((chunk, i) => {
      const key = `e.${epoch}.${i}`;
      this.store.set(key, chunk);
      return key;
    });
    const messages = chunks.reduce((n, c) => n + c.s.length, 0);
    this.sealed.set(epoch, { keys, messages });
    this.sealedMessages += messages;
    this.store.set(META, { ...meta, next: epoch + 1 } satisfies SinkMeta);
  }

  /** The checkpoint holding every epoch sealed so far committed: publishes them, in order. */
  committed(): void {
    this.committedUpTo = this.meta().next - 1;
    this.pump();
  }

  /** Resolves once every committed epoch is acked (at once when none is pending). */
  drained(): Promise<void> {
    return this.waiters.drained(!this.hasCommittedWork());
  }

  /** Resolves once at most `n` messages are pending (see {@link pending}): backpressure's resume signal. */
  pendingAtMost(n: number): Promise<void> {
    return this.waiters.pendingAtMost(n, this.pending, this.closed);
  }

  /** Stops publishing (what is unpublished stays in the state) and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.publisher?.close();
    await this.pumping?.catch(() => undefined);
    await this.nc?.close().catch(() => undefined);
    this.nc = undefined;
    this.waiters.releaseAll();
  }

  private meta(): SinkMeta {
    return this.store.get(META) as SinkMeta;
  }

  private hasCommittedWork(): boolean {
    for (const epoch of this.sealed.keys()) if (epoch <= this.committedUpTo) return true;
    return false;
  }

  private pump(): void {
    if (this.pumping !== undefined || this.send === undefined) return;
    this.pumping = this.publishCommitted().finally(() => {
      this.pumping = undefined;
      if (!this.hasCommittedWork() || this.closed) this.waiters.releaseDrained();
      else this.pump();
    });
  }

  private async publishCommitted(): Promise<void> {
    const send = this.send;
    if (send === undefined) return;
    const { instance } = this.meta();
    const counters = this.options.counters ?? NO_COUNTERS;
    for (;;) {
      const epoch = Math.min(...[...this.sealed.keys()].filter((e) => e <= this.committedUpTo));
      if (!Number.isFinite(epoch) || this.closed) return;
      const entry = this.sealed.get(epoch) as { keys: string[]; messages: number };
      let base = 0;
      for (const key of entry.keys) {
        const chunk = this.store.get(key) as MessageChunk;
        const prefix = `${instance}:${this.name}:${epoch}:`;
        const offset = base;
        const options: DeliveryOptions = {
          maxInFlight: this.config.maxInFlight,
          counters,
          stopped: () => this.closed,
          abandon: (reason) => this.publisher?.abandon(reason),
          onError: (e) =>
            this.options.onError?.(
              new SinkError(this.name, `sink "${this.name}": publish failed, retrying: ${messageOf(e)}`, { cause: e }),
            ),
        };
        const publisher = this.publisher;
        const done =
          this.atomic && publisher !== undefined
            ? await deliverAtomic(chunk.s.length, (i) => outgoing(chunk, i, prefix + (offset + i)), {
                ...options,
                publisher,
                batchSize: Math.min(MAX_BATCH_MESSAGES, this.config.maxInFlight),
                onAtomicDisabled: () => {
                  this.atomic = false;
                },
              })
            : await deliver(chunk.s.length, (i) => send(chunk, i, prefix + (offset + i)), options);
        if (!done) return;
        base += chunk.s.length;
      }
      for (const key of entry.keys) this.store.delete(key);
      this.sealed.delete(epoch);
      this.sealedMessages -= entry.messages;
      const mode = this.config.target.kind === "kv" ? "kv" : this.atomic ? "atomic" : "one_by_one";
      this.options.onDelivered?.({ epoch, messages: entry.messages, mode });
      this.waiters.pendingNow(this.pending);
    }
  }

  /**
   * Finds the stream capturing the subject, or creates it (with `allow_atomic` where the server
   * has atomic batch publish). Resolves whether epochs can go as atomic batches.
   */
  private async ensureStream(nc: NatsConnection): Promise<boolean> {
    const target = this.config.target;
    if (target.kind !== "stream") return false;
    const canBatch = featuresOf(nc).atomicBatch;
    const jsm = await jetstreamManager(nc);
    const filter = target.subject.filter;
    const found = await jsm.streams.find(filter).catch(() => undefined);
    if (found !== undefined) {
      if (!canBatch) return false;
      const info = await jsm.streams.info(found).catch(() => undefined);
      return info?.config.allow_atomic === true;
    }
    if (!target.allowCreateStream) {
      throw new SinkError(
        this.name,
        `sink "${this.name}": no JetStream stream captures subject '${filter}'; create one for it ` +
          "or set allow_create_stream = 'true' (and stream = 'NAME')",
      );
    }
    const name = target.stream ?? this.name.toUpperCase().replaceAll(/[^A-Z0-9_-]/g, "_");
    try {
      const config = createdStreamConfig(name, [filter], target.createStream);
      // Never sent to an older server: strict mode (2.12+) knows it, 2.9-2.11 would not.
      await jsm.streams.add(canBatch ? { ...config, allow_atomic: true } : config);
      return canBatch;
    } catch (e) {
      throw new SinkError(this.name, `sink "${this.name}": creating stream '${name}' failed: ${messageOf(e)}`, {
        cause: e,
      });
    }
  }
}

async function openBucket(nc: NatsConnection, bucket: string, sink: string): Promise<KV> {
  const kvm = new Kvm(nc);
  // create() binds an existing bucket too (open() does not check that it exists).
  try {
    return await kvm.create(bucket);
  } catch (first) {
    try {
      return await kvm.open(bucket, { bindOnly: true });
    } catch {
      throw new SinkError(
        sink,
        `sink "${sink}": KV bucket '${bucket}' cannot be opened or created: ${messageOf(first)}`,
        {
          cause: first,
        },
      );
    }
  }
}

/** Message `i` of a chunk as a stream sink publishes it. */
function outgoing(c: MessageChunk, i: number, id: string): OutgoingMessage {
  const op = c.o[i];
  return {
    subject: c.s[i] as string,
    payload: c.p[i] as string,
    headers: messageHeaders(id, op === MessageOp.none ? undefined : op === MessageOp.delete ? "delete" : "upsert"),
  };
}

function byChunk(a: string, b: string): number {
  return Number(a.split(".")[2]) - Number(b.split(".")[2]);
}

const NO_COUNTERS: DeliveryCounters = { published: () => undefined, failed: () => undefined, retried: () => undefined };
