import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { pack } from "msgpackr";
import protobuf from "protobufjs";

/** How a dataset's payloads are encoded. */
export type Encoding = "json" | "msgpack" | "protobuf";

/**
 * One pre-loaded dataset: a stream of `messages` events over `keys` distinct primary keys and
 * `groups` distinct group keys, every payload padded to about `payloadBytes`.
 */
export interface DatasetSpec {
  /** Names the dataset in results, e.g. `json-100b-10k`. */
  readonly id: string;
  readonly encoding: Encoding;
  readonly messages: number;
  readonly keys: number;
  readonly groups: number;
  /** Target payload size in bytes (the JSON text; MSGPACK and PROTOBUF come out a little smaller). */
  readonly payloadBytes: number;
  /**
   * Published on `<subject>.<id>` into a stream that stores them on `<subject>.<partition>`
   * (`<subject>.{{partition(N,1)}}`, nats-server 2.10+), read with `group.partition_token`: one
   * consumer per partition. Undefined: one subject.
   */
  readonly partitions?: number;
}

/** The benchmark event: the columns of every benchmark table. */
export interface BenchEvent {
  id: number;
  k: string;
  v: number;
  /** Publish time, milliseconds with a fraction on the host's clock (see {@link hostClockMs}). */
  ts: number;
  pad: string;
}

/** Rows with `v` at or above this pass the filter of the source + filter + group-by scenarios. */
export const FILTER_MIN_V = 500;

/** The PROTOBUF schema of the PROTOBUF datasets (`bench.Event`). */
export const PROTO_FILE = fileURLToPath(new URL("../proto/event.proto", import.meta.url));
export const PROTO_MESSAGE = "bench.Event";

/** Where {@link hostClockMs} starts: in the range of epoch milliseconds, so payloads keep their size. */
const HOST_CLOCK_BASE_MS = 1_700_000_000_000;

/**
 * Milliseconds with sub-millisecond precision on the host's monotonic clock (`process.hrtime`:
 * one clock for every process on the host), so a publish time stamped in one process and read in
 * another compare exactly. Not `performance.timeOrigin + performance.now()`: each process takes
 * its origin from the wall clock when it starts, and this machine's wall clock is slewed and
 * stepped (a run saw a constant 26 s "latency" after a step; a slew of 0.026% alone moves two
 * origins taken 10 s apart by ~3 ms).
 */
export function hostClockMs(): number {
  return HOST_CLOCK_BASE_MS + Number(process.hrtime.bigint()) / 1e6;
}

/**
 * The stream and subject a dataset lives in. Named by a hash of the dataset id: stream names
 * must stay within 32 characters (RisingWave's rule, which jetflow enforces).
 */
export function streamOf(dataset: Pick<DatasetSpec, "id">): { stream: string; subject: string } {
  const name = createHash("sha256").update(dataset.id).digest("hex").slice(0, 16);
  return { stream: `bench_${name}`, subject: `bench.${name}` };
}

/**
 * Event `i` of a dataset. Deterministic, so every scenario sees the same data and the expected
 * results can be computed while loading. Keys are visited in a scrambled order (a multiplicative
 * permutation), group keys and values spread by a cheap hash; `v` is a whole number so sums are exact.
 */
export function eventAt(dataset: DatasetSpec, i: number, ts: number): BenchEvent {
  const h = Math.imul(i ^ (i >>> 15), 0x2c1b3c6d) >>> 0;
  return {
    id: (i * 7919) % dataset.keys,
    k: `g${h % dataset.groups}`,
    v: (h >>> 8) % 1000,
    ts,
    pad: "",
  };
}

/** Turns events into payloads of one dataset, padding each to about the dataset's size. */
export class Encoder {
  private readonly padding: string;
  private readonly proto: protobuf.Type | undefined;

  constructor(readonly dataset: DatasetSpec) {
    // A typical event without padding is ~68 bytes of JSON; the rest of the target goes to `pad`.
    const bare = JSON.stringify(eventAt(dataset, 123_456, 1_712_345_678_901.123)).length;
    this.padding = "x".repeat(Math.max(0, dataset.payloadBytes - bare));
    this.proto = dataset.encoding === "protobuf" ? loadProto() : undefined;
  }

  encode(event: BenchEvent): Uint8Array {
    event.pad = this.padding;
    switch (this.dataset.encoding) {
      case "json":
        return Buffer.from(JSON.stringify(event));
      case "msgpack":
        return pack(event);
      case "protobuf":
        return (this.proto as protobuf.Type).encode(event).finish();
    }
  }
}

let protoType: protobuf.Type | undefined;

/** `bench.Event` from {@link PROTO_FILE}, loaded once per process. */
export function loadProto(): protobuf.Type {
  protoType ??= protobuf.loadSync(PROTO_FILE).lookupType(PROTO_MESSAGE);
  return protoType;
}

/**
 * What a correct pipeline ends with, computed from the events as they are loaded:
 * - `table`: a table keyed by `id` and the view `SELECT k, count(*), sum(v) GROUP BY k` over it,
 * - `filtered`: the view `... WHERE v >= FILTER_MIN_V GROUP BY k` over the append-only source.
 */
export interface Expected {
  readonly messages: number;
  readonly bytes: number;
  readonly table: ViewCheck;
  readonly filtered: ViewCheck;
}

/** A fingerprint of a group-by view: its group count and its counts and sums added up. */
export interface ViewCheck {
  readonly groups: number;
  readonly count: number;
  readonly sum: number;
}

/** Accumulates {@link Expected} as events go by. */
export class ExpectedBuilder {
  private messages = 0;
  private bytes = 0;
  private readonly last = new Map<number, BenchEvent>();
  private readonly filteredGroups = new Set<string>();
  private filteredCount = 0;
  private filteredSum = 0;

  add(event: BenchEvent, size: number): void {
    this.messages++;
    this.bytes += size;
    this.last.set(event.id, { ...event, pad: "" });
    if (event.v >= FILTER_MIN_V) {
      this.filteredGroups.add(event.k);
      this.filteredCount++;
      this.filteredSum += event.v;
    }
  }

  build(): Expected {
    const groups = new Set<string>();
    let sum = 0;
    for (const e of this.last.values()) {
      groups.add(e.k);
      sum += e.v;
    }
    return {
      messages: this.messages,
      bytes: this.bytes,
      table: { groups: groups.size, count: this.last.size, sum },
      filtered: { groups: this.filteredGroups.size, count: this.filteredCount, sum: this.filteredSum },
    };
  }
}
