import { type JetStreamManager, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  type DatasetSpec,
  Encoder,
  type Expected,
  ExpectedBuilder,
  eventAt,
  streamOf,
  hostClockMs,
} from "./dataset.js";

/** Messages published between two flushes: bounds what sits in the socket and the server's inbound queue. */
const FLUSH_EVERY = 5_000;
/** Give up when the stream stops growing for this long while messages are missing. */
const STALL_MS = 30_000;

/** What loading a dataset did. */
export interface LoadReport {
  readonly dataset: DatasetSpec;
  readonly expected: Expected;
  readonly seconds: number;
}

/**
 * Creates the dataset's stream (file storage, replacing any older one of the same name) and fills
 * it with core publishes, flushing every {@link FLUSH_EVERY} messages; resolves once the stream
 * holds every message, so timing a consumer afterwards measures consumption only.
 */
export async function loadDataset(url: string, dataset: DatasetSpec): Promise<LoadReport> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const { stream, subject } = streamOf(dataset);
    await createStream(jsm, stream, subject, dataset.partitions);
    const started = performance.now();
    const expected = await publishAll(nc, dataset, subject);
    await waitForMessages(jsm, stream, dataset.messages);
    return { dataset, expected, seconds: (performance.now() - started) / 1000 };
  } finally {
    await nc.close();
  }
}

/** Creates an empty stream for a dataset (used by the latency scenario, which publishes live). */
export async function createEmptyStream(url: string, dataset: Pick<DatasetSpec, "id">): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const { stream, subject } = streamOf(dataset);
    await createStream(await jetstreamManager(nc), stream, subject);
  } finally {
    await nc.close();
  }
}

async function createStream(
  jsm: JetStreamManager,
  stream: string,
  subject: string,
  partitions?: number,
): Promise<void> {
  await jsm.streams.delete(stream).catch(() => undefined);
  await jsm.streams.add({
    name: stream,
    ...(partitions === undefined
      ? { subjects: [subject] }
      : {
          subjects: [`${subject}.*`],
          // The id only picks the partition: a subject per id would make every partition's
          // filtered consumer slow on nats-server 2.15 (~2k msg/s with 10k ids, measured).
          subject_transform: { src: `${subject}.*`, dest: `${subject}.{{partition(${partitions},1)}}` },
        }),
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    num_replicas: 1,
  });
}

async function publishAll(nc: NatsConnection, dataset: DatasetSpec, subject: string): Promise<Expected> {
  const encoder = new Encoder(dataset);
  const expected = new ExpectedBuilder();
  for (let i = 0; i < dataset.messages; i++) {
    const event = eventAt(dataset, i, hostClockMs());
    const payload = encoder.encode(event);
    expected.add(event, payload.length);
    nc.publish(dataset.partitions === undefined ? subject : `${subject}.${event.id}`, payload);
    if ((i + 1) % FLUSH_EVERY === 0) await nc.flush();
  }
  await nc.flush();
  return expected.build();
}

async function waitForMessages(jsm: JetStreamManager, stream: string, messages: number): Promise<void> {
  let seen = -1;
  let since = performance.now();
  for (;;) {
    const held = (await jsm.streams.info(stream)).state.messages;
    if (held === messages) return;
    if (held > messages) throw new Error(`stream ${stream} holds ${held} messages, expected ${messages}`);
    if (held !== seen) {
      seen = held;
      since = performance.now();
    } else if (performance.now() - since > STALL_MS) {
      throw new Error(`stream ${stream} stopped at ${held} of ${messages} messages (the server dropped some)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
