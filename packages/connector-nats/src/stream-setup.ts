import { InvalidOptionError } from "@jetflow/core/base";
import { JetStreamApiCodes, type JetStreamManager, type StreamConfig, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { NatsCreateStreamOptions, NatsSourceConfig } from "./config.js";
import { PermissionDeniedError, StreamNotFoundError } from "./errors.js";
import { isApiError, toJetflowError } from "./nats-errors.js";

/**
 * The stream's info; when it does not exist, creates it with `allow_create_stream` (subjects =
 * `subject`, limits from the created-stream options) or fails with `StreamNotFoundError`.
 * A new name that differs from an existing stream only by case is refused: the two would share
 * a store directory on case-insensitive file systems.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  config: NatsSourceConfig,
  secrets: readonly string[],
): Promise<StreamInfo> {
  const stream = config.stream;
  const ctx = (doing: string) => ({ doing, stream, secrets });
  try {
    return await jsm.streams.info(stream);
  } catch (e) {
    if (!isApiError(e, JetStreamApiCodes.StreamNotFound)) {
      throw toJetflowError(e, ctx(`reading stream '${stream}'`));
    }
  }
  if (!config.allowCreateStream) {
    throw new StreamNotFoundError(
      stream,
      `stream '${stream}' does not exist on the NATS server; create it (subjects: ${config.subjects.join(", ")}) ` +
        `or set allow_create_stream = 'true'`,
    );
  }
  try {
    for await (const name of jsm.streams.names()) {
      if (name !== stream && name.toLowerCase() === stream.toLowerCase()) {
        throw new InvalidOptionError(
          "stream",
          `stream '${stream}' would collide with the existing stream '${name}': names must not differ only by case`,
        );
      }
    }
    return await jsm.streams.add(createdStreamConfig(stream, config.subjects, config.createStream));
  } catch (e) {
    throw toJetflowError(e, ctx(`creating stream '${stream}' (allow_create_stream)`));
  }
}

/**
 * The configuration of a stream made by `allow_create_stream`: its name, subjects and the
 * `max_*` limits of the WITH options (the source's, and a sink's).
 *
 * @example
 * ```ts
 * await jsm.streams.add(createdStreamConfig("ORDERS", ["orders.>"], config.createStream));
 * ```
 */
export function createdStreamConfig(
  name: string,
  subjects: readonly string[],
  s: NatsCreateStreamOptions,
): Partial<StreamConfig> & { name: string } {
  return {
    name,
    subjects: [...subjects],
    max_bytes: s.max_bytes,
    max_msgs: s.max_messages,
    max_msgs_per_subject: s.max_messages_per_subject,
    max_consumers: s.max_consumers,
    max_msg_size: s.max_message_size,
  };
}

/**
 * Fails with `PermissionDeniedError` when the user may not subscribe to a subject. JetStream
 * pull consumers deliver to the client's inbox, so the server would not stop such a user by
 * itself; like RisingWave, jetflow requires the subscribe permission (the user is meant to read
 * these subjects). Probe: SUB, then a PING round trip (a refusal arrives before the PONG), UNSUB.
 */
export async function checkSubscribePermission(nc: NatsConnection, subjects: readonly string[]): Promise<void> {
  const subs = subjects.map((s) => nc.subscribe(s, { callback: () => undefined }));
  await nc.flush();
  for (const sub of subs) sub.unsubscribe();
  const results = await Promise.all(subs.map((s) => s.closed));
  for (let i = 0; i < subs.length; i++) {
    const r = results[i];
    if (r instanceof Error) {
      throw new PermissionDeniedError(
        `the NATS user may not subscribe to '${subjects[i]}' (subject); grant it subscribe permission on the subject`,
        { cause: r },
      );
    }
  }
}
