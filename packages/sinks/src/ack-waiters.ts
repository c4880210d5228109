/**
 * Who waits on a sink's acks: for everything committed to be acked (`drained`), or for the count
 * of unacked messages to fall to a bound (`pendingAtMost`, backpressure's resume signal). The
 * sink tells it when acks move on; it holds no opinion of its own about what is pending.
 *
 * @example
 * ```ts
 * const waiters = new AckWaiters();
 * await waiters.drained(!hasCommittedWork); // resolves on releaseDrained()
 * waiters.pendingNow(pending);              // after each acked epoch
 * ```
 */
export class AckWaiters {
  private drainedWaiters: (() => void)[] = [];
  private low: { readonly at: number; readonly resolve: () => void }[] = [];

  /** Resolves at once when `idle`, else at the next {@link releaseDrained} or {@link releaseAll}. */
  drained(idle: boolean): Promise<void> {
    if (idle) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  /** Resolves at once when `pending <= n` (or `done`), else once {@link pendingNow} reports so. */
  pendingAtMost(n: number, pending: number, done: boolean): Promise<void> {
    if (pending <= n || done) return Promise.resolve();
    return new Promise((resolve) => this.low.push({ at: n, resolve }));
  }

  /** Everything committed is acked: every `drained` waiter resolves. */
  releaseDrained(): void {
    for (const w of this.drainedWaiters.splice(0)) w();
  }

  /** The unacked count is now `pending`: the `pendingAtMost` waiters it satisfies resolve. */
  pendingNow(pending: number): void {
    const ready = this.low.filter((w) => pending <= w.at);
    this.low = this.low.filter((w) => pending > w.at);
    for (const w of ready) w.resolve();
  }

  /** The sink closes: every waiter resolves. */
  releaseAll(): void {
    this.releaseDrained();
    for (const w of this.low.splice(0)) w.resolve();
  }
}
