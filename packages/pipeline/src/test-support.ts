import { jetstreamManager } from "@nats-io/jetstream";
import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import { type ChangeBatch, type ColumnDef, parseSqlType, schemaOf } from "@jetflow/core";
import { type Data, Field, makeData, RecordBatch, Schema, Struct, vectorFromArray } from "apache-arrow";
import { Subject } from "rxjs";
import type { ChangeFeed, EpochSink, FeedChange, FeedSpec } from "./extension.js";
import type { SinkInput } from "@jetflow/sinks";
import { type CheckpointBackend, KeyedStore, memoryBackend } from "@jetflow/state";
import type { TableSpec } from "./spec.js";

/** Column definitions from `{ name: "sql type" }`. */
export function columnsFrom(columns: Record<string, string>): ColumnDef[] {
  return Object.entries(columns).map(([name, type]) => ({ name, type: parseSqlType(type, name) }));
}

/** A JSON table spec over `stream`/`subject` of the server at `url`. */
export function jsonTable(
  url: string,
  stream: string,
  subject: string,
  columns: Record<string, string>,
  primaryKey: string[] = [],
  extra: Record<string, string> = {},
): TableSpec {
  return {
    columns: columnsFrom(columns),
    primaryKey,
    include: [],
    with: { connector: "nats", server_url: url, subject, stream, connect_mode: "plain", ...extra },
    format: { format: "plain", encode: "json", options: {} },
  };
}

/** Creates a stream and publishes payloads (strings as is, objects as JSON), acknowledged. */
export async function seed(
  url: string,
  stream: string,
  subject: string,
  payloads: readonly (string | object)[],
): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [subject] }).catch(async () => undefined);
    const js = jsm.jetstream();
    for (const p of payloads) await js.publish(subject, typeof p === "string" ? p : JSON.stringify(p));
  } finally {
    await nc.close();
  }
}

/** Reads every message of a subject through a fresh ordered consumer, with its headers. */
export async function readAll(
  url: string,
  stream: string,
): Promise<{ data: string; headers: Record<string, string> }[]> {
  const nc = await connect({ servers: url });
  try {
    const js = (await jetstreamManager(nc)).jetstream();
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    const consumer = await js.consumers.get(stream);
    const out: { data: string; headers: Record<string, string> }[] = [];
    for (let i = 0; i < info.state.messages; i++) {
      const m = await consumer.next({ expires: 2000 });
      if (m === null) break;
      const h: Record<string, string> = {};
      for (const [k, v] of m.headers ?? natsHeaders()) h[k] = v[0] ?? "";
      out.push({ data: m.string(), headers: h });
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** The names of the consumers a stream has now. */
export async function consumerNames(url: string, stream: string): Promise<string[]> {
  const nc = await connect({ servers: url });
  try {
    const names: string[] = [];
    for await (const c of (await jetstreamManager(nc)).consumers.list(stream)) names.push(c.name);
    return names;
  } finally {
    await nc.close();
  }
}

/**
 * A memory backend that outlives the pipelines it is handed to, as a group's state does: each
 * `handle()` is a backend over the same checkpoints whose `close()` leaves them be, and
 * `commits` counts the commits made through any of them; `log` gets `commit` after each.
 */
export function sharedBackend(log?: string[]): { handle(): CheckpointBackend; readonly commits: number } {
  const inner = memoryBackend();
  let commits = 0;
  return {
    handle: () => ({
      kind: inner.kind,
      load: () => inner.load(),
      commit: async (record) => {
        commits++;
        await inner.commit(record);
        log?.push("commit");
      },
      close: async () => undefined,
    }),
    get commits() {
      return commits;
    },
  };
}

/**
 * A change of `columns` holding `rows` (`ops`: 1 insert, -1 retract; all inserts when omitted),
 * on a schema without the SQL type metadata, as a change that crossed an Arrow IPC boundary may be.
 */
export function changeOf(
  columns: Record<string, string>,
  rows: readonly Record<string, unknown>[],
  ops?: readonly number[],
): ChangeBatch {
  const typed = schemaOf(columnsFrom(columns));
  const schema = new Schema(typed.fields.map((f) => new Field(f.name, f.type, true)));
  const children = schema.fields.map(
    (f) => vectorFromArray(rows.map((r) => r[f.name] ?? null) as never, f.type).data[0] as Data,
  );
  const struct = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return { batch: new RecordBatch(schema, struct), ops: ops === undefined ? undefined : Int8Array.from(ops) };
}

/**
 * A feed in memory: each `open(after)` (recorded in `opened`) makes a fresh channel that
 * `push()` writes to, as a group's exchange reader would deliver; `fail()` errors it.
 */
export class TestFeed {
  readonly opened: (number | undefined)[] = [];
  closed = 0;
  private changes = new Subject<FeedChange>();

  /** A feed spec of this feed. */
  spec(kind: FeedSpec["kind"], columns: FeedSpec["columns"], key: readonly string[] = []): FeedSpec {
    return { kind, columns, key, open: async (after) => this.open(after) };
  }

  push(offset: number, change: ChangeBatch): void {
    this.changes.next({ offset, change });
  }

  fail(error: Error): void {
    this.changes.error(error);
  }

  private open(after: number | undefined): ChangeFeed {
    this.opened.push(after);
    this.changes = new Subject<FeedChange>();
    return {
      changes$: this.changes.asObservable(),
      lag: () => 0,
      caughtUp: async () => undefined,
      close: async () => {
        this.closed++;
      },
    };
  }
}

/**
 * An epoch sink that writes down what it is told in `log` (`bind`, `open`, `restored <sealed rows>`,
 * `change <rows>`, `seal`, `committed`, `close`), as `<name>: <call>`. Its store keeps the number of
 * rows sealed so far, so a restore shows what the checkpoint held.
 */
export class RecordingSink implements EpochSink {
  readonly store: KeyedStore<unknown>;
  input: SinkInput | undefined;
  private open_ = 0;

  constructor(
    readonly name: string,
    readonly log: string[],
  ) {
    this.store = new KeyedStore<unknown>(`${name}/sink`);
  }

  bind(input: SinkInput): void {
    this.input = input;
    this.write("bind");
  }
  async open(): Promise<void> {
    this.write("open");
  }
  restored(): void {
    this.write(`restored ${String(this.store.get("sealed") ?? 0)}`);
  }
  async resetIfFresh(): Promise<void> {}
  onChange(change: ChangeBatch): void {
    this.open_ += change.batch.numRows;
    this.write(`change ${change.batch.numRows}`);
  }
  readonly pending = 0;
  seal(): void {
    this.store.set("sealed", ((this.store.get("sealed") as number | undefined) ?? 0) + this.open_);
    this.open_ = 0;
    this.write("seal");
  }
  committed(): void {
    this.write("committed");
  }
  async drained(): Promise<void> {}
  async pendingAtMost(): Promise<void> {}
  async close(): Promise<void> {
    this.write("close");
  }

  private write(call: string): void {
    this.log.push(`${this.name}: ${call}`);
  }
}
