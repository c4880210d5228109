import type { DatasetSpec, Encoding } from "./dataset.js";
import type { Scenario, Shape, SinkSet } from "./scenario.js";

/** `full` measures; `quick` runs every scenario at tiny sizes so the harness never rots. */
export type Mode = "quick" | "full";

/** The datasets and scenarios of one run, in the order they run. */
export interface Plan {
  readonly mode: Mode;
  /** Pre-loaded datasets (the latency one is published live instead). */
  readonly datasets: readonly DatasetSpec[];
  readonly scenarios: readonly Scenario[];
}

interface Sizes {
  readonly messages: number;
  readonly keys: number;
  /** The "1M distinct keys" dataset. */
  readonly manyKeys: number;
  readonly manyKeysMessages: number;
  /** The 1 KB dataset has fewer messages (the same number would be 10x the bytes). */
  readonly largeMessages: number;
  readonly groups: number;
  /** The 5M-message backlog. */
  readonly backlog: number;
  readonly latencyRate: number;
  readonly latencySeconds: number;
  readonly latencyWarmupSeconds: number;
}

const SIZES: Record<Mode, Sizes> = {
  full: {
    messages: 1_000_000,
    keys: 10_000,
    manyKeys: 1_000_000,
    manyKeysMessages: 2_000_000,
    largeMessages: 500_000,
    groups: 1_000,
    backlog: 5_000_000,
    latencyRate: 20_000,
    latencySeconds: 15,
    latencyWarmupSeconds: 3,
  },
  quick: {
    messages: 5_000,
    keys: 500,
    manyKeys: 5_000,
    manyKeysMessages: 10_000,
    largeMessages: 2_000,
    groups: 50,
    backlog: 25_000,
    latencyRate: 20_000,
    latencySeconds: 1,
    latencyWarmupSeconds: 0.25,
  },
};

/** `1000000` -> `1M`, `10000` -> `10k`. */
export function count(n: number): string {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return String(n);
}

function dataset(
  encoding: Encoding,
  payloadBytes: number,
  messages: number,
  keys: number,
  groups: number,
): DatasetSpec {
  const size = payloadBytes >= 1000 ? `${payloadBytes / 1000}KB` : `${payloadBytes}B`;
  return {
    id: `${encoding}-${size}-${count(keys)}keys-${count(messages)}msgs`,
    encoding,
    messages,
    keys,
    groups,
    payloadBytes,
  };
}

/** Every dataset and scenario of a run. */
export function planFor(mode: Mode): Plan {
  const s = SIZES[mode];
  const json = dataset("json", 100, s.messages, s.keys, s.groups);
  const manyKeys = dataset("json", 100, s.manyKeysMessages, s.manyKeys, s.groups);
  const large = dataset("json", 1000, s.largeMessages, s.keys, s.groups);
  const msgpack = dataset("msgpack", 100, s.messages, s.keys, s.groups);
  const protobuf = dataset("protobuf", 100, s.messages, s.keys, s.groups);
  const backlog = dataset("json", 100, s.backlog, s.keys, s.groups);
  const latencyMessages = Math.round(s.latencyRate * s.latencySeconds);
  // Ids repeat every `keys` messages; with at least a batch's worth of keys (maxBatchRows, 10k) no
  // batch holds an id twice, so the upsert never folds two messages into one and every message
  // becomes one row insert in the view the latency is read from.
  const latencyKeys = Math.max(s.keys, 10_000);
  const live: DatasetSpec = {
    ...dataset("json", 100, latencyMessages, latencyKeys, s.groups),
    id: "latency-json-100B",
  };

  const scenarios: Scenario[] = [];
  const baselines = (d: DatasetSpec, shape: Shape = "table"): { ceiling: string; peer: string } => {
    const ceiling = `ceiling/${d.id}`;
    const peer = `peer-${shape}/${d.id}`;
    if (!scenarios.some((x) => x.id === ceiling)) {
      scenarios.push({ kind: "ceiling", id: ceiling, label: "ceiling: raw nats.js consume", dataset: d });
    }
    if (!scenarios.some((x) => x.id === peer)) {
      const what = shape === "table" ? "Map upsert + group-by" : "filter + group-by";
      scenarios.push({ kind: "peer", id: peer, label: `peer: per-message RxJS, ${what}`, dataset: d, shape });
    }
    return { ceiling, peer };
  };
  const jetflow = (
    id: string,
    label: string,
    d: DatasetSpec,
    shape: Shape,
    checkpoints = false,
    sink?: SinkSet,
    readPath?: "consumer",
    workers?: number,
  ): void => {
    scenarios.push({
      kind: "jetflow",
      id,
      label,
      dataset: d,
      shape,
      checkpoints,
      ...(sink === undefined ? {} : { sink }),
      ...(readPath === undefined ? {} : { readPath }),
      ...(workers === undefined ? {} : { workers }),
      group: "throughput",
      ...baselines(d, shape),
    });
  };

  jetflow("jetflow-json-table", "jetflow JSON table(pk) + group-by", json, "table");
  jetflow(
    "jetflow-json-table-consumer-path",
    "jetflow JSON table(pk) + group-by, read through nats.js's consumer API",
    json,
    "table",
    false,
    undefined,
    "consumer",
  );
  // Reader threads (issue 17 item 2): NATS I/O, parsing and batch building in a thread of their own.
  for (const workers of [0, 1, 2]) {
    jetflow(
      `jetflow-json-table-workers-${workers}`,
      `jetflow JSON table(pk) + group-by, --workers ${workers}`,
      json,
      "table",
      false,
      undefined,
      undefined,
      workers,
    );
  }
  // One reader thread decoding too: the trade-off `decodeIn: "auto"` avoids (the reader then does most of the work).
  scenarios.push({
    kind: "jetflow",
    id: "jetflow-json-table-workers-1-decode-reader",
    label: "jetflow JSON table(pk) + group-by, --workers 1, decoding in the reader thread",
    dataset: json,
    shape: "table",
    checkpoints: false,
    workers: 1,
    decodeIn: "reader",
    group: "throughput",
    ...baselines(json),
  });
  // The same events in a stream the server splits into 4 partitions by id (nats-server 2.10+):
  // one consumer per partition, spread over 0, 1, 2 and 4 reader threads, and 2 threads once
  // more with the readers decoding (`decodeIn: "auto"` decodes there only with a core per reader).
  const partitioned: DatasetSpec = { ...json, id: `${json.id}-4parts`, partitions: 4 };
  const partitionedRuns: { workers: number; decodeIn?: "reader"; shards?: number }[] = [
    { workers: 0 },
    { workers: 1 },
    { workers: 2 },
    { workers: 2, decodeIn: "reader" },
    { workers: 2, decodeIn: "reader", shards: 2 },
    { workers: 4 },
  ];
  for (const { workers, decodeIn, shards } of partitionedRuns) {
    const decoding = decodeIn === undefined ? "" : ", decoding in the reader threads";
    const sharded = shards === undefined ? "" : `, GROUP BY in ${shards} operator threads`;
    scenarios.push({
      kind: "jetflow",
      id: `jetflow-json-table-partitioned-workers-${workers}${decodeIn === undefined ? "" : "-decode-reader"}${shards === undefined ? "" : `-shards-${shards}`}`,
      label: `jetflow JSON table(pk) + group-by, 4 server partitions, --workers ${workers}${decoding}${sharded}`,
      dataset: partitioned,
      shape: "table",
      checkpoints: false,
      workers,
      ...(decodeIn === undefined ? {} : { decodeIn }),
      ...(shards === undefined ? {} : { shards }),
      group: "throughput",
      ...baselines(json),
    });
  }
  // Operator threads (issue 17 item 2): the GROUP BY as shards by group key, one per thread; a join
  // that keeps both sides (the table with its distinct keys) as shards by join key; a top-N as
  // shards by row (each shard's first 10 merged on the main thread); and
  // a heavier GROUP BY (min, max, count DISTINCT) without and with 2 shards, reading the stream
  // whole and partitioned (2 reader threads that decode).
  const shardRuns: { shape: Shape; shards: number; partitions?: boolean }[] = [
    { shape: "table", shards: 1 },
    { shape: "table", shards: 2 },
    { shape: "table-join", shards: 0 },
    { shape: "table-join", shards: 2 },
    { shape: "table-top", shards: 0 },
    { shape: "table-top", shards: 2 },
    { shape: "table-distinct", shards: 0 },
    { shape: "table-distinct", shards: 2 },
    { shape: "table-distinct", shards: 0, partitions: true },
    { shape: "table-distinct", shards: 2, partitions: true },
  ];
  for (const { shape, shards, partitions } of shardRuns) {
    const heavy = shape === "table" ? "" : shape.slice("table".length);
    const view =
      shape === "table-distinct"
        ? "group-by with min, max, count(DISTINCT)"
        : shape === "table-join"
          ? "join with its distinct keys + group-by"
          : shape === "table-top"
            ? "group-by + top 10 by v"
            : "group-by";
    const reading = partitions === true ? ", 4 server partitions, --workers 2, decoding in the reader threads" : "";
    scenarios.push({
      kind: "jetflow",
      id: `jetflow-json-table${heavy}${partitions === true ? "-partitioned-workers-2-decode-reader" : ""}-shards-${shards}`,
      label: `jetflow JSON table(pk) + ${view}${reading}, --shards ${shards}`,
      dataset: partitions === true ? partitioned : json,
      shape,
      checkpoints: false,
      workers: partitions === true ? 2 : 0,
      ...(partitions === true ? { decodeIn: "reader" as const } : {}),
      shards,
      group: "throughput",
      ...baselines(json),
    });
  }
  jetflow(
    "jetflow-json-table-checkpoints",
    "jetflow JSON table(pk) + group-by, fs checkpoint 1 s",
    json,
    "table",
    true,
  );
  jetflow(
    "jetflow-json-table-sink",
    "jetflow JSON table(pk) + group-by + UPSERT sink of the view",
    json,
    "table",
    false,
    "stream",
  );
  // The sinks' cost: the same pipeline and 1 s checkpoints, without and with a stream + KV sink.
  jetflow(
    "jetflow-json-table-sinks-baseline",
    "jetflow JSON table(pk) + group-by, 1 s memory checkpoints, no sink",
    json,
    "table",
    false,
    "none",
  );
  jetflow(
    "jetflow-json-table-sinks",
    "jetflow JSON table(pk) + group-by + stream sink + KV sink of the view",
    json,
    "table",
    false,
    "stream+kv",
  );
  jetflow("jetflow-json-source-filter", "jetflow JSON source + filter + group-by", json, "source-filter");
  jetflow("jetflow-msgpack-table", "jetflow MSGPACK table(pk) + group-by", msgpack, "table");
  jetflow("jetflow-protobuf-table", "jetflow PROTOBUF table(pk) + group-by", protobuf, "table");
  jetflow(
    "jetflow-json-table-many-keys",
    `jetflow JSON table(pk) + group-by, ${count(s.manyKeys)} keys`,
    manyKeys,
    "table",
  );
  jetflow("jetflow-json-1kb-table", "jetflow JSON 1 KB table(pk) + group-by", large, "table");
  jetflow(
    "jetflow-json-1kb-table-workers-0",
    "jetflow JSON 1 KB table(pk) + group-by, --workers 0",
    large,
    "table",
    false,
    undefined,
    undefined,
    0,
  );

  for (const d of [json, backlog]) {
    const { ceiling, peer } = baselines(json);
    scenarios.push({
      kind: "jetflow",
      id: `jetflow-backlog-${count(d.messages)}`,
      label: `jetflow JSON table(pk) + group-by, drain ${count(d.messages)} backlog`,
      dataset: d,
      shape: "table",
      checkpoints: false,
      group: "memory",
      ceiling,
      peer,
    });
  }
  // Scale-out: the same table + group-by shared by a group of 1, 2 and 3 member processes.
  for (const members of [1, 2, 3]) {
    scenarios.push({
      kind: "group",
      id: `group-json-table-${members}`,
      label: `jetflow --group, ${members} member${members === 1 ? "" : "s"}, 6 partitions: JSON table(pk) + group-by`,
      dataset: json,
      shape: "table",
      members,
      partitions: 6,
      ...baselines(json),
    });
  }
  // A source crosses one edge (to the group-by), where a table crosses two.
  scenarios.push({
    kind: "group",
    id: "group-json-source-filter-1",
    label: "jetflow --group, 1 member, 6 partitions: JSON source + filter + group-by",
    dataset: json,
    shape: "source-filter",
    members: 1,
    partitions: 6,
    ...baselines(json, "source-filter"),
  });
  scenarios.push({
    kind: "latency",
    id: "jetflow-latency",
    label: `jetflow JSON table(pk) + group-by + projection, ${count(s.latencyRate)} msg/s`,
    dataset: live,
    rate: s.latencyRate,
    warmup: Math.round(s.latencyRate * s.latencyWarmupSeconds),
  });
  scenarios.push({
    kind: "latency",
    id: "latency-floor",
    label: `floor: nats.js consume() of the same stream, JSON.parse only, ${count(s.latencyRate)} msg/s`,
    dataset: { ...live, id: "floor-json-100B" },
    rate: s.latencyRate,
    warmup: Math.round(s.latencyRate * s.latencyWarmupSeconds),
    floor: true,
  });
  scenarios.push({
    kind: "latency",
    id: "serve-lookups",
    label: `HTTP lookups by key (pk, group key), 200 clients, while ingesting ${count(s.latencyRate)} msg/s`,
    dataset: { ...live, id: "serve-json-100B" },
    rate: s.latencyRate,
    warmup: Math.round(s.latencyRate * s.latencyWarmupSeconds),
    lookups: 200,
  });
  const datasets = [json, partitioned, manyKeys, large, msgpack, protobuf, backlog];
  return { mode, datasets, scenarios };
}
