import { type ConsumerMessages, DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { nuid } from "@nats-io/transport-node";
import type { PartitionTask } from "../partition-tasks.js";

/** What a counter commits: where its state is, and the last stream sequence that state counted. */
export interface CounterPointer {
  readonly key: string;
  readonly seq: number;
}

/** A counter's checkpointed state: the count per key up to and including stream sequence `seq`. */
export interface CounterState {
  readonly counts: Record<string, number>;
  readonly seq: number;
}

/** Where a {@link PartitionedCounter} reads and keeps its state. */
export interface CounterSetup {
  readonly js: JetStreamClient;
  /** The bucket its checkpoints go to. */
  readonly state: KV;
  /** The partitioned stream: subjects `<prefix>.<partition>.<key>`. */
  readonly stream: string;
  readonly prefix: string;
}

/** Reads the state a committed pointer names. */
export async function readCounterState(state: KV, pointer: CounterPointer): Promise<CounterState> {
  const e = await state.get(pointer.key);
  if (e === null || e.operation !== "PUT") throw new Error(`counter state ${pointer.key} is missing`);
  return e.json<CounterState>();
}

/**
 * The reference {@link PartitionTask}: counts messages per key in partition `partition` of a
 * partitioned stream. Invariant: a committed pointer names a state written once and never again
 * (key `p<partition>.<epoch>.<n>`, created, with a new epoch per start), and that state holds the
 * counts and the sequence they reach together, so restoring it and reading on from `seq + 1`
 * counts every message exactly once, whoever wrote it and however late a stale owner wakes up.
 */
export class PartitionedCounter implements PartitionTask {
  private counts = new Map<string, number>();
  private seq = 0;
  private readonly epoch = nuid.next();
  private written = 0;
  /** State keys written or restored, oldest first; the last one's pointer is committed or about to be. */
  private keys: string[] = [];
  private savedSeq = -1;
  private messages: ConsumerMessages | undefined;
  private stopped = false;

  constructor(
    private readonly setup: CounterSetup,
    readonly partition: number,
  ) {}

  /** The stream sequence counted last (0 before the first). */
  get counted(): number {
    return this.seq;
  }

  async start(from: unknown): Promise<void> {
    if (from !== undefined) {
      const pointer = from as CounterPointer;
      const state = await readCounterState(this.setup.state, pointer);
      this.counts = new Map(Object.entries(state.counts));
      this.seq = state.seq;
      this.savedSeq = state.seq;
      this.keys.push(pointer.key);
    }
    const consumer = await this.setup.js.consumers.get(this.setup.stream, {
      filter_subjects: `${this.setup.prefix}.${this.partition}.*`,
      ...(this.seq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.seq + 1 } : {}),
    });
    const skip = this.setup.prefix.length + String(this.partition).length + 2;
    this.messages = await consumer.consume({
      callback: (m) => {
        if (this.stopped) return;
        const key = m.subject.slice(skip);
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
        this.seq = m.seq;
      },
    });
  }

  async checkpoint(): Promise<CounterPointer> {
    const last = this.keys.at(-1);
    if (last !== undefined && this.seq === this.savedSeq) return { key: last, seq: this.seq };
    const state: CounterState = { counts: Object.fromEntries(this.counts), seq: this.seq };
    const key = `p${this.partition}.${this.epoch}.${++this.written}`;
    await this.setup.state.create(key, JSON.stringify(state));
    this.keys.push(key);
    this.savedSeq = state.seq;
    // The pointer to the key before this one was committed (else this task would be stopped), so
    // older ones are no longer named by anything.
    while (this.keys.length > 2) await this.setup.state.purge(this.keys.shift()!);
    return { key, seq: state.seq };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.messages?.close();
  }
}
