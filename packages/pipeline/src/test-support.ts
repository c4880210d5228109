import { jetstreamManager } from "@nats-io/jetstream";
import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import { parseSqlType } from "@jetflow/core";
import { type CheckpointBackend, memoryBackend } from "@jetflow/state";
import type { TableSpec } from "./spec.js";

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
    columns: Object.entries(columns).map(([name, type]) => ({ name, type: parseSqlType(type, name) })),
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
 * `commits` counts the commits made through any of them.
 */
export function sharedBackend(): { handle(): CheckpointBackend; readonly commits: number } {
  const inner = memoryBackend();
  let commits = 0;
  return {
    handle: () => ({
      kind: inner.kind,
      load: () => inner.load(),
      commit: (record) => {
        commits++;
        return inner.commit(record);
      },
      close: async () => undefined,
    }),
    get commits() {
      return commits;
    },
  };
}
