import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";

/**
 * A stream the server partitions by key (2.10+ subject transforms): `<prefix>.<key>` is stored as
 * `<prefix>.<partitionOf([key], partitions)>.<key>`, so partition task p reads `<prefix>.<p>.*`.
 * Returns the stream's name (the prefix in upper case).
 */
export async function partitionedStream(nc: NatsConnection, prefix: string, partitions: number): Promise<string> {
  const name = prefix.toUpperCase();
  await (await jetstreamManager(nc)).streams.add({
    name,
    subjects: [`${prefix}.*`],
    subject_transform: { src: `${prefix}.*`, dest: `${prefix}.{{partition(${partitions},1)}}.{{wildcard(1)}}` },
  });
  return name;
}
