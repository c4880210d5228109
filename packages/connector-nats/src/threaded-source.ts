import { ErrorCode, JetflowError, type RawBatch } from "@jetflow/core/base";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { Observable, Subject, type Subscriber } from "rxjs";
import type { BatchSource } from "./batch-source.js";
import { errorFromData } from "./error-transfer.js";
import { ConnectionFailedError } from "./errors.js";
import type { ReaderThreads } from "./reader-threads.js";
import type { SourceRuntimeOptions } from "./runtime-options.js";
import type { SourceStatus } from "./source-status.js";
import {
  CREDIT_FLAG,
  CREDIT_IN_FLIGHT,
  CREDIT_SLOTS,
  type OpenSession,
  type StatusData,
  type ToMain,
  type ToReader,
} from "./thread-protocol.js";
import { type ThreadStageSpec, unpackRaw } from "./thread-stage.js";

/**
 * A {@link NatsSource} run in a reader thread: the NATS connection, the pulls, nats.js's
 * parsing and the batch building happen there; this thread gets each raw batch as one
 * transferred buffer and applies it. Same contract as NatsSource (see {@link BatchSource}):
 * batches arrive in order, synchronously applied by the subscriber, which then frees the
 * reader to go on (at most `MAX_IN_FLIGHT` batches are between the threads); `caughtUp()`
 * resolves once the batches holding the stream's messages at open were applied here.
 *
 * @example
 * ```ts
 * const threads = new ReaderThreads(1);
 * const source = await ThreadedSource.open(threads, withOptions, { offsets, name: "orders" });
 * source.batches$.subscribe((raw) => apply(raw));
 * ```
 */
export class ThreadedSource<T = RawBatch> implements BatchSource<T> {
  readonly batches$: Observable<T>;
  readonly status$: Observable<SourceStatus>;
  private readonly subscribers = new Set<Subscriber<T>>();
  private readonly statusSubject = new Subject<SourceStatus>();
  /**
   * Batches received and not applied yet, in order: applied one per turn of the event loop
   * (`drain`), and kept while nobody subscribes (delivered first on the next subscription).
   */
  private readonly held: T[] = [];
  private draining: NodeJS.Immediate | undefined;
  private readonly replies = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  private readonly credit: Int32Array;
  private connection: SourceStatus | undefined;
  private lastLag = 0;
  private nextId = 1;
  private caughtUpSeen = false;
  private allCaughtUp = false;
  private caughtUpWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private failure: Error | undefined;
  private stopping: Promise<void> | undefined;
  private completed = false;

  private constructor(
    private readonly port: MessagePort,
    credit: SharedArrayBuffer,
    private readonly unpack: (packed: unknown) => T,
  ) {
    this.credit = new Int32Array(credit);
    this.batches$ = new Observable<T>((s) => this.attach(s));
    this.status$ = new Observable<SourceStatus>((subscriber) => {
      if (this.connection !== undefined) subscriber.next(this.connection);
      return this.statusSubject.subscribe(subscriber);
    });
  }

  /**
   * Opens `withOptions` (the source's WITH options, resolved again in the reader thread) in a
   * thread of `threads`; fails with the same typed errors as `NatsSource.open`, or with the
   * error building the `stage` threw (then nothing was connected).
   */
  static open(
    threads: ReaderThreads,
    withOptions: Readonly<Record<string, string>>,
    runtime: SourceRuntimeOptions,
  ): Promise<ThreadedSource>;
  /** The same, with each batch handed to `stage` in the reader thread before it crosses. */
  static open<T>(
    threads: ReaderThreads,
    withOptions: Readonly<Record<string, string>>,
    runtime: SourceRuntimeOptions,
    stage: ThreadStageSpec<T>,
  ): Promise<ThreadedSource<T>>;
  static open<T>(
    threads: ReaderThreads,
    withOptions: Readonly<Record<string, string>>,
    runtime: SourceRuntimeOptions,
    stage?: ThreadStageSpec<T>,
  ): Promise<ThreadedSource<T>> {
    const worker = threads.acquire();
    const { port1, port2 } = new MessageChannel();
    const credit = new SharedArrayBuffer(CREDIT_SLOTS * Int32Array.BYTES_PER_ELEMENT);
    const unpack = stage === undefined ? (unpackRaw as (packed: unknown) => T) : (p: unknown) => stage.unpack(p);
    const source = new ThreadedSource<T>(port1, credit, unpack);
    const open: OpenSession = {
      t: "open",
      port: port2,
      withOptions: { ...withOptions },
      runtime,
      credit,
      stage: stage === undefined ? undefined : { module: stage.module, options: stage.options },
    };
    return new Promise<ThreadedSource<T>>((resolve, reject) => {
      const onExit = (code: number) => {
        source.threadAlive = false;
        source.onFatal(threadGone(code));
      };
      const onError = (e: unknown) => {
        source.threadAlive = false;
        source.onFatal(e instanceof Error ? e : threadGone(1));
      };
      worker.on("exit", onExit).on("error", onError);
      source.detach = () => {
        worker.off("exit", onExit).off("error", onError);
        threads.release(worker);
      };
      source.opening = { resolve: () => resolve(source), reject };
      port1.on("message", (m: ToMain) => source.onMessage(m));
      worker.postMessage(open, [port2]);
    });
  }

  private opening: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  /** False once the reader thread exited or crashed: nothing to ask it any more. */
  private threadAlive = true;
  private detach: () => void = () => undefined;

  lag(): number {
    return this.lastLag;
  }

  caughtUp(): Promise<void> {
    if (this.allCaughtUp) return Promise.resolve();
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.stopping !== undefined) return Promise.reject(stoppedError());
    return new Promise((resolve, reject) => this.caughtUpWaiters.push({ resolve, reject }));
  }

  ack(offsets: ReadonlyMap<string, number>): Promise<void> {
    if (this.stopping !== undefined || this.failure !== undefined) return Promise.resolve();
    return this.request({ t: "ack", id: this.nextId++, offsets: [...offsets] });
  }

  publish(
    subject: string,
    payload: Uint8Array,
    headers?: Readonly<Record<string, string>>,
    msgId?: string,
  ): Promise<void> {
    return this.request({ t: "publish", id: this.nextId++, subject, payload, headers, msgId });
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown(false);
    return this.stopping;
  }

  async drop(): Promise<void> {
    if (this.stopping !== undefined) {
      await this.stopping;
      return;
    }
    this.stopping = this.shutdown(true);
    await this.stopping;
  }

  private async shutdown(drop: boolean): Promise<void> {
    Atomics.store(this.credit, CREDIT_FLAG, 1);
    Atomics.notify(this.credit, CREDIT_IN_FLIGHT);
    try {
      // After a failure too: the session's source may still hold its connection and consumers.
      if (this.threadAlive) await this.request({ t: "stop", id: this.nextId++, drop });
    } finally {
      this.port.close();
      this.detach();
      this.held.length = 0;
      if (this.draining !== undefined) clearImmediate(this.draining);
      this.draining = undefined;
      for (const s of [...this.subscribers]) s.complete();
      this.subscribers.clear();
      for (const w of this.caughtUpWaiters.splice(0)) w.reject(this.failure ?? stoppedError());
      this.statusSubject.complete();
    }
  }

  private request(m: Extract<ToReader, { id: number }>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.replies.set(m.id, { resolve, reject });
      this.port.postMessage(m);
    });
  }

  private attach(subscriber: Subscriber<T>): () => void {
    if (this.failure !== undefined) {
      subscriber.error(this.failure);
      return () => undefined;
    }
    if (this.stopping !== undefined || this.completed) {
      subscriber.complete();
      return () => undefined;
    }
    this.subscribers.add(subscriber);
    if (this.subscribers.size === 1) {
      Atomics.store(this.credit, CREDIT_FLAG, 0);
      // Held batches first, after the subscribe call returned (as a source's first batch comes).
      this.drain();
      this.port.postMessage({ t: "subscribe" } satisfies ToReader);
    }
    return () => {
      if (!this.subscribers.delete(subscriber) || this.subscribers.size > 0) return;
      // Nobody to apply batches: the reader stops pulling; what it already sent is held here.
      Atomics.store(this.credit, CREDIT_FLAG, 1);
      Atomics.notify(this.credit, CREDIT_IN_FLIGHT);
      if (this.stopping === undefined) this.port.postMessage({ t: "pause" } satisfies ToReader);
    };
  }

  private onMessage(m: ToMain): void {
    switch (m.t) {
      case "opened":
        this.connection = undefined;
        this.opening?.resolve();
        this.opening = undefined;
        return;
      case "failed": {
        const e = errorFromData(m.error);
        this.opening?.reject(e);
        this.opening = undefined;
        this.port.close();
        this.detach();
        return;
      }
      case "batch":
        this.lastLag = m.lag;
        this.deliver(this.unpack(m.batch));
        return;
      case "lag":
        this.lastLag = m.lag;
        return;
      case "status": {
        const s = statusFromData(m.status);
        if (s.type === "connected" || s.type === "disconnected" || s.type === "reconnecting") this.connection = s;
        this.statusSubject.next(s);
        return;
      }
      case "caught_up":
        this.caughtUpSeen = true;
        this.drain();
        return;
      case "error":
        this.onFatal(errorFromData(m.error));
        return;
      case "complete":
        this.completed = true;
        this.drain();
        return;
      case "reply": {
        const r = this.replies.get(m.id);
        this.replies.delete(m.id);
        if (m.error === undefined) r?.resolve();
        else r?.reject(errorFromData(m.error));
        return;
      }
    }
  }

  private deliver(batch: T): void {
    this.held.push(batch);
    this.drain();
  }

  /**
   * Applies the next held batch in a turn of the event loop of its own. Node hands a port up to
   * 1,000 queued messages in one go, and the reader refills the queue as each batch is applied:
   * applying them as they arrive would hold timers (checkpoints), sockets and HTTP off for as
   * long as the backlog lasts.
   */
  private drain(): void {
    if (this.draining !== undefined) return;
    if (this.held.length === 0) {
      this.checkCaughtUp();
      if (this.completed) {
        for (const s of [...this.subscribers]) s.complete();
        this.subscribers.clear();
      }
      return;
    }
    if (this.subscribers.size === 0) return;
    this.draining = setImmediate(() => {
      this.draining = undefined;
      if (this.held.length > 0) {
        const batch = this.held.shift() as T;
        if (this.subscribers.size > 0) this.emit(batch);
        else this.held.unshift(batch);
      }
      this.drain();
    });
  }

  private emit(batch: T): void {
    try {
      for (const s of this.subscribers) s.next(batch);
    } finally {
      Atomics.sub(this.credit, CREDIT_IN_FLIGHT, 1);
      Atomics.notify(this.credit, CREDIT_IN_FLIGHT);
    }
  }

  /** Caught up once the reader emitted the stream's messages at open and none of them is held here. */
  private checkCaughtUp(): void {
    if (this.allCaughtUp || !this.caughtUpSeen || this.held.length > 0) return;
    this.allCaughtUp = true;
    for (const w of this.caughtUpWaiters.splice(0)) w.resolve();
  }

  private onFatal(e: Error): void {
    // A request in flight (a stop, say) gets no reply from a thread that is gone.
    if (!this.threadAlive) {
      for (const r of this.replies.values()) r.reject(e);
      this.replies.clear();
    }
    if (this.failure !== undefined || this.stopping !== undefined) return;
    if (this.opening !== undefined) {
      this.opening.reject(e);
      this.opening = undefined;
      this.detach();
      return;
    }
    this.failure = e;
    for (const s of [...this.subscribers]) s.error(e);
    this.subscribers.clear();
    for (const w of this.caughtUpWaiters.splice(0)) w.reject(e);
    for (const r of this.replies.values()) r.reject(e);
    this.replies.clear();
    // One shutdown: a later stop() waits for it (a second stop request would get no reply).
    this.stopping ??= this.shutdown(false);
  }
}

function statusFromData(s: StatusData): SourceStatus {
  return s.type === "error" ? { type: "error", error: errorFromData(s.error) as JetflowError } : s;
}

function threadGone(code: number): ConnectionFailedError {
  return new ConnectionFailedError(`the source's reader thread ended (exit code ${code})`);
}

function stoppedError(): JetflowError {
  return new JetflowError(ErrorCode.InvalidState, "the NATS source stopped before caughtUp() resolved");
}
