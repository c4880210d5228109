import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { xorshift32 } from "./xorshift.js";

/** One order event; `order_id` repeats so later events overwrite earlier ones in a keyed table. */
export interface OrderEvent {
  readonly order_id: number;
  readonly customer: string;
  readonly region: string;
  readonly amount: number;
  readonly qty: number;
  readonly status: string;
}

const REGIONS = ["north", "south", "east", "west", "central", "île-de-france"];
const STATUSES = ["open", "paid", "shipped", "cancelled"];

/**
 * A deterministic stream of order events over `keys` distinct order ids. Amounts are multiples of
 * 0.25 below 2^20, so every sum of them is exact in a double and equals PostgreSQL's.
 */
export function orderEvents(count: number, keys: number, seed = 1): OrderEvent[] {
  const out: OrderEvent[] = [];
  const next = xorshift32(seed);
  for (let i = 0; i < count; i++) {
    const r = next();
    out.push({
      order_id: r % keys,
      customer: `c${(r >>> 8) % 500}`,
      region: REGIONS[(r >>> 4) % REGIONS.length] as string,
      amount: ((r >>> 3) % 40_000) / 4,
      qty: (r >>> 11) % 20,
      status: STATUSES[(r >>> 16) % STATUSES.length] as string,
    });
  }
  return out;
}

/** The final table: the last event of each order id. */
export function finalTable(events: readonly OrderEvent[]): OrderEvent[] {
  const m = new Map<number, OrderEvent>();
  for (const e of events) m.set(e.order_id, e);
  return [...m.values()];
}

/** Publishes events with core publish (fast) and waits until the stream holds all of them. */
export async function publishEvents(
  url: string,
  stream: string,
  subject: string,
  events: readonly object[],
): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const before = (await jsm.streams.info(stream)).state.last_seq;
    events.forEach((e, i) => {
      nc.publish(subject, JSON.stringify(e));
      if (i % 5000 === 4999) void nc.flush();
    });
    await nc.flush();
    for (;;) {
      const last = (await jsm.streams.info(stream)).state.last_seq;
      if (last - before >= events.length) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await nc.close();
  }
}

/** Creates a stream. */
export async function createStream(url: string, name: string, subjects: string[]): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    await (await jetstreamManager(nc)).streams.add({ name, subjects });
  } finally {
    await nc.close();
  }
}

/** Resolves once `consumers` consumers of `stream` have been delivered messages: the pipeline is mid-stream. */
export async function consumingStarted(url: string, stream: string, consumers = 1): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for (;;) {
      let delivering = 0;
      for await (const c of jsm.consumers.list(stream)) if (c.delivered.stream_seq > 0) delivering++;
      if (delivering >= consumers) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await nc.close();
  }
}

/** Removes every message from a stream (its sequence numbers go on from where they were). */
export async function purgeStream(url: string, stream: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    await (await jetstreamManager(nc)).streams.purge(stream);
  } finally {
    await nc.close();
  }
}
