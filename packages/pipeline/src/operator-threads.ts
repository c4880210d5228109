import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { builtExecArgv } from "@jetflow/connector-nats";
import { PipelineError } from "./errors.js";
import type { ShardReply, ShardRequest } from "./shard-protocol.js";

/** How long the main thread waits for one reply before it calls the thread lost (a thread out of memory never answers). */
const REPLY_LIMIT_MS = 120_000;
/** The main thread wakes this often while it waits, to check the limit. */
const WAIT_STEP_MS = 1000;

/**
 * One operator thread and the synchronous way to call it: the request is posted, then the main
 * thread blocks (`Atomics.wait` on a shared counter the thread bumps after each reply) and takes
 * the reply off the port directly (`receiveMessageOnPort`), without its event loop. So an operator
 * that runs in a thread is still called as a function: the graph stays consistent between two
 * batches, as with every operator on the main thread.
 */
export class OperatorThread {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private exited: number | undefined;

  constructor(readonly index: number) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL("../dist/shard-thread.js", import.meta.url), {
      workerData: { port: port2, signal: this.signal },
      transferList: [port2],
      execArgv: builtExecArgv(),
    });
    // Never keeps the process alive: the pipeline ends its threads at teardown.
    this.worker.unref();
    this.worker.on("error", () => undefined); // its next reply reports it
    this.worker.on("exit", (code) => {
      this.exited = code;
    });
  }

  /** Posts a request; pass what it returns to {@link wait}. */
  post(request: ShardRequest, transfer: readonly ArrayBuffer[] = []): number {
    if (this.exited !== undefined) throw this.lost(`it exited with code ${this.exited}`);
    const seen = Atomics.load(this.signal, 0);
    this.port.postMessage(request, transfer as ArrayBuffer[]);
    return seen;
  }

  /**
   * Blocks until the reply to the request posted when the signal was `seen` arrives.
   * @throws the request's error as the thread reported it, or a PipelineError when no reply comes
   */
  wait(seen: number): unknown {
    const started = performance.now();
    let last = seen;
    for (;;) {
      const message = receiveMessageOnPort(this.port);
      if (message !== undefined) return unwrap(this.index, message.message as ShardReply);
      if (Atomics.wait(this.signal, 0, last, WAIT_STEP_MS) !== "timed-out") {
        last = Atomics.load(this.signal, 0);
        continue;
      }
      if (performance.now() - started > REPLY_LIMIT_MS)
        throw this.lost(`no reply in ${REPLY_LIMIT_MS / 1000} s (out of memory?)`);
    }
  }

  /** {@link post} then {@link wait}. */
  call(request: ShardRequest, transfer: readonly ArrayBuffer[] = []): unknown {
    return this.wait(this.post(request, transfer));
  }

  async close(): Promise<void> {
    this.port.close();
    await this.worker.terminate();
  }

  private lost(why: string): PipelineError {
    return new PipelineError(`operator thread ${this.index} is lost: ${why}`);
  }
}

function unwrap(index: number, reply: ShardReply): unknown {
  if ("ok" in reply) return reply.ok;
  const { name, message } = reply.error;
  throw new PipelineError(`operator thread ${index}: ${name}: ${message}`);
}

/**
 * The operator threads of one pipeline (`shards` option): each holds one shard of every keyed
 * operator that runs sharded, the rows with key k going to thread `shardOfKey(k, size)`. Started
 * on first use (or {@link warm}); each runs the built module (`dist/shard-thread.js`), also when
 * the caller runs from TypeScript sources: `tsc -b` must have run.
 *
 * @example
 * ```ts
 * const threads = new OperatorThreads(2);
 * const op = threads.newOperator();
 * threads.each((t) => t.call({ t: "create", op, spec }));
 * ```
 */
export class OperatorThreads {
  private readonly threads: OperatorThread[] = [];
  private ops = 0;

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1)
      throw new RangeError(`operator threads: size must be >= 1, got ${size}`);
  }

  /** Starts every thread now, so their module loading overlaps the caller's start. */
  warm(): void {
    for (let i = 0; i < this.size; i++) this.thread(i);
  }

  thread(i: number): OperatorThread {
    let t = this.threads[i];
    if (t === undefined) {
      t = new OperatorThread(i);
      this.threads[i] = t;
    }
    return t;
  }

  /** A new operator number, the same in every thread. */
  newOperator(): number {
    return this.ops++;
  }

  /**
   * Sends a request to every thread (the same, or one made per thread), then waits for every
   * reply (the threads work meanwhile); the replies by thread.
   */
  all(request: ShardRequest | ((thread: number) => ShardRequest)): unknown[] {
    const posted = Array.from({ length: this.size }, (_, thread) => ({
      thread,
      seen: this.thread(thread).post(typeof request === "function" ? request(thread) : request),
    }));
    return this.collect(posted);
  }

  /**
   * The replies to requests posted to these threads, in that order. Every reply is taken before
   * the first error is thrown, so no thread's port is left holding a reply a later call would read.
   */
  collect(posted: readonly { readonly thread: number; readonly seen: number }[]): unknown[] {
    let failure: { error: unknown } | undefined;
    const replies = posted.map(({ thread, seen }) => {
      try {
        return this.thread(thread).wait(seen);
      } catch (error) {
        failure ??= { error };
        return undefined;
      }
    });
    if (failure !== undefined) throw failure.error;
    return replies;
  }

  /** Ends every thread; a later call starts new ones. */
  async close(): Promise<void> {
    const all = this.threads.splice(0);
    await Promise.all(all.map((t) => t.close()));
  }
}
