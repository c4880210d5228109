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

  /** A thread for one more source; call `release` with it when the source stopped. */
  acquire(): Worker {
    const i = this.next++ % this.size;
    let t = this.threads[i];
    if (t === undefined) {
      const worker = new Worker(new URL("../dist/source-thread.js", import.meta.url), { execArgv: builtExecArgv() });
      t = { worker, sessions: 0 };
      t.worker.on("error", () => undefined); // reported to each session's source (see ThreadedSource)
      this.threads[i] = t;
    }
    if (t.sessions++ === 0) t.worker.ref();
    return t.worker;
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
 * TypeScript sources by a condition, which a thread running built modules must not inherit.
 */
function builtExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--conditions" || a === "-C") i++;
    else if (!a.startsWith("--conditions=")) out.push(a);
  }
  return out;
}
