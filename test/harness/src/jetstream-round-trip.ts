import { AckPolicy, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

/**
 * For the harness's own tests: creates stream `name` on `name.>`, publishes two messages and
 * reads them back through a durable pull consumer; returns the payloads in order.
 */
export async function jetStreamRoundTrip(nc: NatsConnection, name = "RT"): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const subject = name.toLowerCase();
  await jsm.streams.add({ name, subjects: [`${subject}.>`] });
  const js = jsm.jetstream();
  await js.publish(`${subject}.a`, "one");
  await js.publish(`${subject}.b`, "two");
  await jsm.consumers.add(name, { durable_name: "reader", ack_policy: AckPolicy.Explicit });
  const consumer = await js.consumers.get(name, "reader");
  const seen: string[] = [];
  for await (const m of await consumer.fetch({ max_messages: 2, expires: 5_000 })) {
    seen.push(m.string());
    m.ack();
  }
  return seen;
}

/** Runs `fn` with a connection and always closes it. */
export async function withConnection<T>(nc: NatsConnection, fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  try {
    return await fn(nc);
  } finally {
    await nc.close();
  }
}

/**
 * Subscribes to `subject` and resolves with what closed the subscription: the server's
 * permissions violation, or undefined if a message arrived instead (`subject` is published to).
 */
export async function subscribeOutcome(nc: NatsConnection, subject: string): Promise<Error | undefined> {
  // A callback, not an iterator: an iterator's `closed` waits until its messages are read.
  const sub = nc.subscribe(subject, { max: 1, callback: () => {} });
  // A permitted subscription sees this message and ends after it (max: 1).
  await nc.flush();
  nc.publish(subject, "probe");
  const closed = await sub.closed;
  return closed instanceof Error ? closed : undefined;
}
