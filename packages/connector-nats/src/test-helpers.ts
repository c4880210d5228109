import net from "node:net";
import type { RawBatch } from "@jetflow/core";
import type { Subscription } from "rxjs";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { connectOptions, NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll } from "vitest";
import type { BatchSource } from "./batch-source.js";
import type { NatsSource } from "./nats-source.js";
import { resolveNatsOptions } from "./resolve-options.js";
import type { NatsSourceConfig } from "./config.js";
import type { SourceStatus } from "./source-status.js";

/** Test-only helpers: load data fast and read what a source emits. */

export async function adminConnection(server: NatsServer): Promise<NatsConnection> {
  return connect({ ...connectOptions(server.client), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
}

/** One nats-server for a whole test file, and an admin connection to it. */
export interface SharedServer {
  readonly server: NatsServer;
  readonly nc: NatsConnection;
}

/**
 * Registers a {@link SharedServer} for the calling test file (or describe block): started in
 * beforeAll, then `setUp` runs (streams the tests share, say); the connection closed and the
 * server removed in afterAll. Read the fields inside hooks and tests, not at load time.
 */
export function sharedServer(setUp?: (shared: SharedServer) => Promise<void>): SharedServer {
  let server: NatsServer | undefined;
  let nc: NatsConnection | undefined;
  const shared: SharedServer = {
    get server() {
      if (server === undefined) throw new Error("sharedServer: the server starts in beforeAll");
      return server;
    },
    get nc() {
      if (nc === undefined) throw new Error("sharedServer: the connection opens in beforeAll");
      return nc;
    },
  };
  beforeAll(async () => {
    server = await NatsServer.start();
    nc = await adminConnection(server);
    await setUp?.(shared);
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });
  return shared;
}

/**
 * Resolves once the admin connection is back after a server restart: a flush that goes through.
 * The source under test may reconnect before it does.
 */
export async function whenConnected(nc: NatsConnection, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await nc.flush();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export async function createStream(nc: NatsConnection, name: string, subjects: string[]): Promise<void> {
  const jsm = await jetstreamManager(nc);
  // A test retried on its file's server starts again from an empty stream of that name.
  await jsm.streams.delete(name).catch(() => false);
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
  source: BatchSource,
  done: (c: Collected) => boolean,
  opts: { keep?: boolean } = {},
): Promise<Collected> {
  const c: Collected = { sequences: [], subjects: [], payloads: [], batches: [] };
  const td = new TextDecoder();
  return new Promise((resolve, reject) => {
    let finished = false;
    let sub: Subscription | undefined;
    sub = source.batches$.subscribe({
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
          // Unsubscribing inside next() stops the source before it emits another batch.
          if (sub === undefined) queueMicrotask(() => sub?.unsubscribe());
          else sub.unsubscribe();
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

/**
 * A TCP proxy in front of a server whose traffic can be frozen (sockets stay open, nothing
 * flows), to make a server look hung without touching its process.
 */
export interface FreezableProxy {
  readonly url: string;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function freezableProxy(
  targetPort: number,
  /** Sees every chunk a client sends (after it is forwarded), e.g. to break the server at a chosen request. */
  onClientData?: (chunk: Buffer) => void,
): Promise<FreezableProxy> {
  const sockets = new Set<net.Socket>();
  let frozen = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
      if (frozen) s.pause();
    }
    client.pipe(upstream);
    if (onClientData !== undefined) client.on("data", onClientData);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `nats://127.0.0.1:${port}`,
    freeze() {
      frozen = true;
      for (const s of sockets) s.pause();
    },
    thaw() {
      frozen = false;
      for (const s of sockets) s.resume();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolves with the first status matching `pred`. */
export function nextStatus<T extends SourceStatus>(source: NatsSource, pred: (s: SourceStatus) => s is T): Promise<T>;
export function nextStatus(source: NatsSource, pred: (s: SourceStatus) => boolean): Promise<SourceStatus>;
export function nextStatus(source: NatsSource, pred: (s: SourceStatus) => boolean): Promise<SourceStatus> {
  return new Promise((resolve) => {
    const sub = source.status$.subscribe((s) => {
      if (pred(s)) {
        queueMicrotask(() => sub.unsubscribe());
        resolve(s);
      }
    });
  });
}

/** Blocks the thread (a slow synchronous subscriber). */
export function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
