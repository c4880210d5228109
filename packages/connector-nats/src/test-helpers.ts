import type { RawBatch } from "@jetflow/core";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { NatsServer } from "@jetflow/test-harness";
import { connectOptions } from "@jetflow/test-harness";
import type { NatsSource } from "./nats-source.js";
import { resolveNatsOptions } from "./resolve-options.js";
import type { NatsSourceConfig } from "./config.js";

/** Test-only helpers: load data fast and read what a source emits. */

export async function adminConnection(server: NatsServer): Promise<NatsConnection> {
  return connect({ ...connectOptions(server.client), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
}

export async function createStream(nc: NatsConnection, name: string, subjects: string[]): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name, subjects });
}

/**
 * Publishes `count` messages `${prefix}${i}` (i from `from`) with core NATS (fast), flushes,
 * then waits until the stream holds `expectTotal` messages.
 */
export async function load(
  nc: NatsConnection,
  stream: string,
  subject: string,
  count: number,
  opts: { from?: number; prefix?: string; expectTotal?: number } = {},
): Promise<void> {
  const from = opts.from ?? 0;
  const prefix = opts.prefix ?? `${subject}:`;
  for (let i = from; i < from + count; i++) nc.publish(subject, `${prefix}${i}`);
  await nc.flush();
  if (opts.expectTotal !== undefined) await waitForStream(nc, stream, opts.expectTotal);
}

export async function waitForStream(nc: NatsConnection, stream: string, messages: number): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (let i = 0; i < 500; i++) {
    const info = await jsm.streams.info(stream);
    if (info.state.messages >= messages) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`stream ${stream} never reached ${messages} messages`);
}

/** WITH options for a harness server, plain auth. */
export function withFor(server: NatsServer, stream: string, subject: string, extra: Record<string, string> = {}) {
  return {
    connector: "nats",
    server_url: server.url,
    subject,
    stream,
    connect_mode: "plain",
    ...extra,
  };
}

export function configFor(
  server: NatsServer,
  stream: string,
  subject: string,
  extra: Record<string, string> = {},
): NatsSourceConfig {
  return resolveNatsOptions(withFor(server, stream, subject, extra));
}

/** What a source emitted, flattened. */
export interface Collected {
  readonly sequences: number[];
  readonly subjects: string[];
  readonly payloads: string[];
  readonly batches: RawBatch[];
}

/**
 * Subscribes and collects until `done(collected)` holds; resolves with what was collected and
 * unsubscribes. Rejects if the source errors.
 */
export function collect(
  source: NatsSource,
  done: (c: Collected) => boolean,
  opts: { keep?: boolean } = {},
): Promise<Collected> {
  const c: Collected = { sequences: [], subjects: [], payloads: [], batches: [] };
  const td = new TextDecoder();
  return new Promise((resolve, reject) => {
    let finished = false;
    const sub = source.batches$.subscribe({
      next: (b) => {
        if (finished) return;
        if (opts.keep === true) c.batches.push(b);
        for (let i = 0; i < b.length; i++) {
          c.sequences.push(b.sequences[i]!);
          c.subjects.push(b.subjects[i]!);
          c.payloads.push(td.decode(b.payloads[i]!));
        }
        if (done(c)) {
          finished = true;
          queueMicrotask(() => sub.unsubscribe());
          resolve(c);
        }
      },
      error: reject,
    });
    if (!finished && done(c)) {
      finished = true;
      sub.unsubscribe();
      resolve(c);
    }
  });
}

/** 1..n */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
