import { nuid } from "@nats-io/transport-node";
import { type AckPublisher, PublishRefusedError } from "./ack-publisher.js";
import { type DeliveryCounters, type DeliveryOptions, deliver } from "./deliver.js";
import type { OutgoingMessage } from "./outgoing-message.js";

/** The most messages nats-server accepts in one atomic batch (its `max_batch_size` default). */
export const MAX_BATCH_MESSAGES = 1000;
/** Batches awaiting their commit at once, at most (the server allows 50 in flight per stream). */
const MAX_BATCHES_IN_FLIGHT = 8;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
const ACK_TIMEOUT_MS = 10_000;

/**
 * `err_code`s after which a batch is sent again one message at a time: 10201, the batch holds a
 * `Nats-Msg-Id` the stream already has (a replay after a crash, or batches cut differently by an
 * earlier run): one by one, the server drops exactly the messages that landed; 10174, the stream
 * no longer allows atomic publish.
 */
const ONE_BY_ONE = new Set([10201, 10174]);
/** `err_code` of a stream without `allow_atomic`: the sink stops trying batches. */
const ATOMIC_DISABLED = 10174;
/** `err_code` of a batch over the server's `max_batch_size` (configured below 1000): halve it. */
const TOO_LARGE = 10199;

/**
 * Publishes messages `from..to-1` as ONE atomic batch (ADR-50, nats-server 2.12+): every message
 * carries `Nats-Batch-Id` and `Nats-Batch-Sequence`, the last one `Nats-Batch-Commit: 1` and a
 * reply subject. The stream stores the whole batch or none of it, and answers at the commit.
 * Each message keeps its `Nats-Msg-Id`, so a batch sent again after it landed is refused whole
 * (10201) instead of stored twice.
 */
export function publishBatch(
  publisher: AckPublisher,
  from: number,
  to: number,
  message: (i: number) => OutgoingMessage,
): Promise<void> {
  // A fresh id per attempt: a retry never joins the half-sent batch the server may still hold.
  const id = nuid.next();
  for (let i = from; i < to; i++) {
    const m = message(i);
    const h = m.headers;
    h.set("Nats-Batch-Id", id);
    h.set("Nats-Batch-Sequence", String(i - from + 1));
    if (i < to - 1) {
      publisher.send(m.subject, m.payload, h);
      continue;
    }
    h.set("Nats-Batch-Commit", "1");
    return publisher.publish(m.subject, m.payload, h);
  }
  return Promise.resolve();
}

/** Options of {@link deliverAtomic}: those of {@link deliver}, plus what the batches need. */
export interface AtomicDeliveryOptions extends DeliveryOptions {
  readonly publisher: AckPublisher;
  /** Messages per batch, at most {@link MAX_BATCH_MESSAGES}. */
  readonly batchSize: number;
  /** The stream refused atomic publish (10174): what is left is sent one by one from now on. */
  readonly onAtomicDisabled: () => void;
  /** Counts the batches the stream committed. */
  readonly counters: DeliveryCounters;
}

/**
 * Sends messages `0..count-1` as atomic batches of `batchSize`, cut at the same indexes on every
 * attempt, at most `maxInFlight` messages in flight, in order, until every one is committed. A batch that fails
 * (timeout, server away, too many batches in flight) is sent again from the first uncommitted
 * one, after a backoff; one refused for a message id the stream already holds, or because the
 * stream does not allow atomic publish, is sent one message at a time ({@link deliver}), where
 * `Nats-Msg-Id` dedup drops exactly what landed: no duplicate either way. Resolves false only
 * when `stopped()` turns true.
 */
export async function deliverAtomic(
  count: number,
  message: (i: number) => OutgoingMessage,
  options: AtomicDeliveryOptions,
): Promise<boolean> {
  const { publisher, counters } = options;
  let size = Math.max(1, Math.min(options.batchSize, MAX_BATCH_MESSAGES));
  // As many batches as fit in maxInFlight messages (at least one): the same bound as one by one.
  const inFlight = Math.max(1, Math.min(MAX_BATCHES_IN_FLIGHT, Math.floor(options.maxInFlight / size)));
  let atomic = true;
  let next = 0;
  let backoff = RETRY_MIN_MS;
  while (next < count) {
    if (options.stopped()) return false;
    if (!atomic) {
      const start = next;
      const done = await deliver(count - start, (i) => sendOne(publisher, message(start + i)), options);
      return done;
    }
    const cuts: [number, number][] = [];
    for (let b = next; b < count && cuts.length < inFlight; b += size) cuts.push([b, Math.min(count, b + size)]);
    const timeoutMs = options.timeoutMs ?? ACK_TIMEOUT_MS;
    const timer = setTimeout(() => publisher.abandon(new Error(`no batch commit within ${timeoutMs} ms`)), timeoutMs);
    const results = await Promise.allSettled(cuts.map(([from, to]) => publishBatch(publisher, from, to, message)));
    clearTimeout(timer);
    let failed: { reason: unknown; at: number } | undefined;
    for (let b = 0; b < results.length; b++) {
      const r = results[b] as PromiseSettledResult<void>;
      const [from, to] = cuts[b] as [number, number];
      if (r.status === "rejected") {
        failed = { reason: r.reason, at: from };
        break;
      }
      counters.published(to - from);
      counters.batches?.(1);
      next = to;
    }
    if (failed === undefined) {
      backoff = RETRY_MIN_MS;
      continue;
    }
    const { reason, at } = failed;
    if (reason instanceof PublishRefusedError && reason.errCode === TOO_LARGE && size > 1) {
      size = Math.max(1, Math.floor(size / 2));
      continue;
    }
    if (reason instanceof PublishRefusedError && ONE_BY_ONE.has(reason.errCode)) {
      if (reason.errCode === ATOMIC_DISABLED) {
        atomic = false;
        options.onAtomicDisabled();
        continue;
      }
      // Only this batch one by one; the ones after it go as batches again.
      const end = Math.min(count, at + size);
      const done = await deliver(end - at, (i) => sendOne(publisher, message(at + i)), options);
      if (!done) return false;
      next = end;
      continue;
    }
    counters.failed(1);
    options.onError(reason);
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(RETRY_MAX_MS, backoff * 2);
    counters.retried(1);
  }
  return true;
}

function sendOne(publisher: AckPublisher, m: OutgoingMessage): Promise<void> {
  return publisher.publish(m.subject, m.payload, m.headers);
}
