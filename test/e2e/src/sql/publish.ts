import { jetstreamManager } from "@nats-io/jetstream";
import { type MsgHdrs, type NodeConnectionOptions, connect, headers as natsHeaders } from "@nats-io/transport-node";

/** One message to publish: its payload as given (text or bytes), optional headers. */
export interface RawMessage {
  readonly subject: string;
  readonly payload: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

/** nats.js connection options: `{ servers: url }`, or the harness's `connectOptions(server.client)` for auth. */
export type ClientOptions = NodeConnectionOptions;

/**
 * Publishes payloads as they are (the workload helper JSON-encodes objects; these tests publish
 * prepared JSON text, protobuf bytes and headers) and waits until `stream` stored every one.
 * Returns the stream sequence of each message, in order.
 */
export async function publishRaw(
  client: ClientOptions,
  stream: string,
  messages: readonly RawMessage[],
): Promise<number[]> {
  const nc = await connect(client);
  try {
    const jsm = await jetstreamManager(nc);
    const before = (await jsm.streams.info(stream)).state.last_seq;
    messages.forEach((m, i) => {
      let h: MsgHdrs | undefined;
      if (m.headers !== undefined) {
        h = natsHeaders();
        for (const [k, v] of Object.entries(m.headers))
          for (const one of typeof v === "string" ? [v] : v) h.append(k, one);
      }
      nc.publish(m.subject, m.payload, h === undefined ? undefined : { headers: h });
      if (i % 2000 === 1999) void nc.flush();
    });
    await nc.flush();
    for (;;) {
      const last = (await jsm.streams.info(stream)).state.last_seq;
      if (last - before >= messages.length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return messages.map((_, i) => before + i + 1);
  } finally {
    await nc.close();
  }
}

/** Creates a stream over `subjects` (with credentials when the server needs them). */
export async function addStream(client: ClientOptions, name: string, subjects: string[]): Promise<void> {
  const nc = await connect(client);
  try {
    await (await jetstreamManager(nc)).streams.add({ name, subjects });
  } finally {
    await nc.close();
  }
}
