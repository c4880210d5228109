import { errors, type NatsConnection } from "@nats-io/transport-node";

/**
 * Watches a connection for an outage (a disconnect) while `open()` sets a source up, and retries
 * a step that failed because of it. Why not every failure: a refusal (permissions, a missing
 * stream, a bad option) is final, and "no responders" is JetStream being off, unless the server
 * went away meanwhile, when it is JetStream still starting up after a restart.
 */
export class OutageRetry {
  private sawOutage = false;
  /** nats.js's status iterator; its `stop()` ends the loop below. */
  private readonly statuses: AsyncIterable<{ type: string }> & { stop?: () => void };

  constructor(
    private readonly nc: NatsConnection,
    /** Give up once this long has passed since the first failure. */
    private readonly retryMs: number,
  ) {
    const statuses = nc.status();
    this.statuses = statuses;
    void (async () => {
      for await (const s of statuses) {
        if (s.type === "disconnect" || s.type === "reconnecting") this.sawOutage = true;
      }
    })();
  }

  /** Runs `step`; while a failure is an outage's and the budget lasts, waits (backoff) and runs it again. */
  async run<T>(step: () => Promise<T>): Promise<T> {
    let deadline: number | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        return await step();
      } catch (e) {
        deadline ??= Date.now() + this.retryMs;
        if (this.nc.isClosed() || !this.transient(e) || Date.now() >= deadline) throw e;
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt, deadline! - Date.now())));
      }
    }
  }

  /** Stops watching the connection. */
  stop(): void {
    this.statuses.stop?.();
  }

  private transient(e: unknown): boolean {
    const chain: unknown[] = [];
    for (let c: unknown = e; c instanceof Error && chain.length < 5; c = c.cause) chain.push(c);
    if (chain.some((c) => c instanceof errors.PermissionViolationError || c instanceof errors.AuthorizationError)) {
      return false;
    }
    return chain.some(
      (c) =>
        c instanceof errors.TimeoutError ||
        c instanceof errors.RequestError ||
        ((c instanceof errors.ConnectionError || c instanceof errors.NoRespondersError) && this.sawOutage),
    );
  }
}
