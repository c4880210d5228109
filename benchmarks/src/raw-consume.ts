import { AckPolicy, DeliverPolicy, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startTiming } from "./scenario.js";

/** Messages per pull request: the fast setting (nats.js defaults to 100, which reads at less than half the speed). */
export const MAX_MESSAGES = 10_000;

/**
 * Reads `total` messages from the start of a stream with nats.js at its fastest settings — a
 * callback `consume()` with large pulls and no acks — handing each to `onMessage`. Resolves with
 * the seconds from connecting to the last message. The consumer is a plain ephemeral pull
 * consumer with AckPolicy none (nats.js's ordered consumer is ~1 µs per message slower).
 * `onReading` is called once the consumer reads (a live stream's publisher may start then).
 */
export async function consumeAll(
  url: string,
  stream: string,
  total: number,
  onMessage: (m: JsMsg) => void,
  onReading: () => void = () => undefined,
): Promise<number> {
  const started = startTiming();
  const nc = await connect({ servers: url });
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.consumers.add(stream, {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      mem_storage: true,
      inactive_threshold: 30_000_000_000,
    });
    const consumer = await js.consumers.get(stream, info.name);
    let seen = 0;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    if (total === 0) finish();
    const messages = await consumer.consume({
      max_messages: MAX_MESSAGES,
      callback: (m) => {
        onMessage(m);
        if (++seen === total) finish();
      },
    });
    onReading();
    await finished;
    const seconds = (performance.now() - started) / 1000;
    await messages.close();
    return seconds;
  } finally {
    await nc.close();
  }
}
