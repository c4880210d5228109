/** Counts a sink keeps, for `jetflow_sink_*_total`. */
export interface DeliveryCounters {
  /** Messages acked by the server (a duplicate dropped by JetStream's dedup is acked too). */
  published(n: number): void;
  /** Publish attempts that failed (timeout, no stream, server away). */
  failed(n: number): void;
  /** Times a run of messages was sent again after a failure. */
  retried(n: number): void;
  /** Atomic batches the stream committed (nats-server 2.12+, a stream with `allow_atomic`). */
  batches?(n: number): void;
}

/** How {@link deliver} sends, retries and reports. */
export interface DeliveryOptions {
  readonly maxInFlight: number;
  readonly counters: DeliveryCounters;
  readonly stopped: () => boolean;
  readonly onError: (e: unknown) => void;
  /** How long a run of messages may wait for its acks before they count as failed. @default 10000 */
  readonly timeoutMs?: number;
  /** Fails the sends still waiting (called when the run times out). */
  readonly abandon?: (reason: Error) => void;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
const ACK_TIMEOUT_MS = 10_000;

/**
 * Sends messages `0..count-1` with at most `maxInFlight` awaiting their ack, in order, until
 * every one is acked. On a failure it waits (backing off), then sends again from the first
 * message not acked: the ones after it that did land carry the same `Nats-Msg-Id` and are
 * dropped by the server, so order and exactly-once survive the retry. Never gives up; resolves
 * false only when `stopped()` turns true.
 */
export async function deliver(
  count: number,
  send: (i: number) => Promise<unknown>,
  options: DeliveryOptions,
): Promise<boolean> {
  let next = 0;
  let backoff = RETRY_MIN_MS;
  while (next < count) {
    if (options.stopped()) return false;
    const end = Math.min(count, next + options.maxInFlight);
    const sent: Promise<unknown>[] = [];
    for (let i = next; i < end; i++) sent.push(send(i));
    const timeoutMs = options.timeoutMs ?? ACK_TIMEOUT_MS;
    const timer = setTimeout(() => options.abandon?.(new Error(`no ack within ${timeoutMs} ms`)), timeoutMs);
    const results = await Promise.allSettled(sent);
    clearTimeout(timer);
    const firstFailed = results.findIndex((r) => r.status === "rejected");
    if (firstFailed < 0) {
      options.counters.published(end - next);
      next = end;
      backoff = RETRY_MIN_MS;
      continue;
    }
    const failures = results.filter((r) => r.status === "rejected");
    options.counters.published(firstFailed);
    options.counters.failed(failures.length);
    options.onError((failures[0] as PromiseRejectedResult).reason);
    next += firstFailed;
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(RETRY_MAX_MS, backoff * 2);
    options.counters.retried(1);
  }
  return true;
}
