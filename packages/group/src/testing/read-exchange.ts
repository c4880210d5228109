import type { JetStreamClient } from "@nats-io/jetstream";
import { vi } from "vitest";
import { type ExchangeChange, ExchangeReader } from "../exchange-reader.js";

/**
 * Reads partition `q` of an exchange edge after `after` until `messages` messages arrived, then
 * `settleMs` longer to see that nothing else follows; returns what it read.
 */
export async function readExchange(
  js: JetStreamClient,
  at: { group: string; edge: string; partition: number; after: number },
  messages: number,
  settleMs = 300,
): Promise<ExchangeChange[]> {
  const reader = new ExchangeReader(js, at);
  const got: ExchangeChange[] = [];
  let failed: unknown;
  const sub = reader.changes$.subscribe({ next: (c) => got.push(c), error: (e) => (failed = e) });
  try {
    await vi.waitFor(
      () => {
        if (failed !== undefined) throw failed;
        if (got.length < messages) throw new Error(`${got.length} of ${messages} messages`);
      },
      { timeout: 15_000, interval: 20 },
    );
    await new Promise((r) => setTimeout(r, settleMs));
    return got;
  } finally {
    sub.unsubscribe();
    await reader.stop();
  }
}
