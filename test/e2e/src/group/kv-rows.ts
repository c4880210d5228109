import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";

/** Every live key of KV bucket `bucket` with its value read as JSON (a sink's row), by key. */
export async function kvRows(nc: NatsConnection, bucket: string): Promise<Map<string, Record<string, unknown>>> {
  const kv = await new Kvm(nc).open(bucket);
  const out = new Map<string, Record<string, unknown>>();
  for await (const key of await kv.keys()) {
    const entry = await kv.get(key);
    // A key deleted between the listing and the read is gone: not a row.
    if (entry === null || entry.operation !== "PUT") continue;
    out.set(key, entry.json<Record<string, unknown>>());
  }
  return out;
}
