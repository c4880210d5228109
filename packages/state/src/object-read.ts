import { createHash } from "node:crypto";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { ObjectStore } from "@nats-io/obj";
import { CorruptRecordError } from "./record-codec.js";

/** The digest type the object store writes: `SHA-256=` then the digest in base64 (URL-safe). */
const SHA256_PREFIX = "SHA-256=";

/**
 * Reads object `name` of `os` whole, or null when there is none (or it was deleted).
 *
 * `ObjectStore.get` reads through an ordered consumer that the server keeps for 5 minutes after
 * the read (the inactive threshold nats.js gives ordered consumers); processes that restore many
 * checkpoints (a group's members, taking partitions over again and again, up to 100 objects a
 * chain) pile them up on the bucket's stream until the server refuses new ones ("maximum
 * consumers limit reached": 1,000 per stream on current servers) and no restore works any more.
 * This reads the object's chunks one by one with the stream's message-get API instead (the
 * next message on the object's chunk subject), which leaves nothing on the server, and checks the
 * size and SHA-256 digest the object store recorded.
 *
 * @throws CorruptRecordError when the chunks do not add up to the object recorded (missing
 *   chunks, another size, another digest); the JetStream API's error when a request fails
 */
export async function readObject(jsm: JetStreamManager, os: ObjectStore, name: string): Promise<Uint8Array | null> {
  const info = await os.info(name);
  if (info === null || info.deleted) return null;
  if (info.size === 0) return new Uint8Array(0);
  const stream = `OBJ_${info.bucket}`;
  const subject = `$O.${info.bucket}.C.${info.nuid}`;
  const out = new Uint8Array(info.size);
  let filled = 0;
  let seq = 0;
  for (let chunk = 0; chunk < info.chunks; chunk++) {
    // `next_by_subj` (nats-server 2.9+): the first message on `subject` at or after `seq`.
    // (The client's type names only `seq` and `last_by_subj`; it sends the query as it is.)
    const query = { seq: seq + 1, next_by_subj: subject };
    const m = await jsm.streams.getMessage(stream, query);
    if (m === null || filled + m.data.length > info.size) break;
    out.set(m.data, filled);
    filled += m.data.length;
    seq = m.seq;
  }
  if (filled !== info.size) {
    throw new CorruptRecordError(`object "${name}" is corrupt: its chunks hold ${filled} bytes, ${info.size} recorded`);
  }
  const digest = createHash("sha256").update(out).digest();
  if (
    !info.digest.startsWith(SHA256_PREFIX) ||
    !digest.equals(Buffer.from(info.digest.slice(SHA256_PREFIX.length), "base64"))
  ) {
    throw new CorruptRecordError(
      `object "${name}" is corrupt: its SHA-256 digest is not the one recorded (${info.digest})`,
    );
  }
  return out;
}
