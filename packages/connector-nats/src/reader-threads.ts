import { Worker } from "node:worker_threads";

/**
 * The reader threads of one pipeline: up to `size` worker threads, started on first use, each
 * running the NATS sources handed to it (`source-thread.ts`); sources are spread round-robin.
 * A thread with no running source is unref'd, so it never keeps the process alive on its own.
 *
 * The thread runs the built module (`dist/source-thread.js`) also when the caller runs from the
 * TypeScript sources (the workspace's tests): `pnpm build` (`tsc -b`) must have run.
 */
export class ReaderThreads {
  private readonly threads: { worker: Worker; sessions: number }[] = [];
  private next = 0;

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`reader threads: size must be >= 1, got ${size}`);
  }

  /**
   * Starts the first `count` threads (at most `size`) now, so that their module loading (about
   * half a second) overlaps the caller's own start rather than delaying the sources' open.
   */
  warm(count: number): void {
    for (let i = 0; i < Math.min(count, this.size); i++) this.thread(i).worker.unref();
  }

  /** A thread for one more source; call `release` with it when the source stopped. */
  acquire(): Worker {
    const t = this.thread(this.next++ % this.size);
    if (t.sessions++ === 0) t.worker.ref();
    return t.worker;
  }

  private thread(i: number): { worker: Worker; sessions: number } {
    let t = this.threads[i];
    if (t === undefined) {
      const worker = new Worker(new URL("../dist/source-thread.js", import.meta.url), { execArgv: builtExecArgv() });
      t = { worker, sessions: 0 };
      t.worker.on("error", () => undefined); // reported to each session's source (see ThreadedSource)
      this.threads[i] = t;
    }
    return t;
  }

  release(worker: Worker): void {
    const t = this.threads.find((x) => x.worker === worker);
    if (t !== undefined && --t.sessions === 0) t.worker.unref();
  }

  /** Ends every thread (after their sources stopped); a later `acquire` starts new ones. */
  async close(): Promise<void> {
    const all = this.threads.splice(0);
    await Promise.all(all.map((t) => t.worker.terminate()));
  }
}

/**
 * This process's Node flags less `--conditions`: the workspace's tests resolve packages to their
 * TypeScript sources by a condition, which a thread running built modules must not inherit. Less
 * `--cpu-prof-name` too: with it every thread would write its profile over the main thread's;
 * without it each writes one of its own, named by its thread id, into the same `--cpu-prof-dir`.
 */
export function builtExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--conditions" || a === "-C") i++;
    else if (a === "--cpu-prof-name") i++;
    else if (!a.startsWith("--conditions=") && !a.startsWith("--cpu-prof-name=")) out.push(a);
  }
  return out;
}
