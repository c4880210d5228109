import { InvalidOptionError, wholeNumberOption } from "@jetflow/core/base";
import { type ReadPath, resolveReadPath } from "./read-path.js";

/** Messages per pull request unless `pullMessages` says otherwise. */
export const DEFAULT_PULL_MESSAGES = 10_000;

/** How a source runs, beyond the WITH options: resume point, batching, naming. */
export interface SourceRuntimeOptions {
  /** Resume point: per consumer key (its subject), the last processed stream sequence (from a checkpoint). */
  offsets?: ReadonlyMap<string, number> | undefined;
  /** Emit a batch once it holds this many messages. @default 10000 */
  maxBatchRows?: number | undefined;
  /** ...or this many payload bytes. @default 4 MiB */
  maxBatchBytes?: number | undefined;
  /** ...or when its first message is this old. @default 5 */
  lingerMs?: number | undefined;
  /** Keep message headers in `RawBatch.headers` (needed for INCLUDE header). @default false */
  keepHeaders?: boolean | undefined;
  /** Replaces `server_url` (the CLI's --server). */
  servers?: readonly string[] | undefined;
  /** Names the connection and generated consumers, e.g. the table name. */
  name?: string | undefined;
  /**
   * Messages per pull request; memory holds at most this many in flight per subject.
   * Capped by `consumer.max_batch`. @default 10000
   */
  pullMessages?: number | undefined;
  /**
   * Pull request expiry; the server sends idle heartbeats every half of it and two missed ones
   * raise `heartbeats_missed`, which is also how a consumer deleted between two pulls is noticed.
   * Capped by `consumer.max_expires.sec`. @default 10000
   */
  pullExpiresMs?: number | undefined;
  /**
   * How long `open()` keeps retrying, with backoff, when the server goes away while it checks the
   * stream and creates the consumers (a restart, a failover); past it the outage is an error.
   * @default 60000
   */
  openRetryMs?: number | undefined;
  /**
   * How deliveries are read: `lean` (our own pulls, no `JsMsg`) or `consumer` (nats.js's
   * consumer API). The environment variable `JETFLOW_READ_PATH` overrides it. @default "lean"
   */
  readPath?: ReadPath | undefined;
}

/** {@link SourceRuntimeOptions} with defaults applied. */
export interface ResolvedRuntime {
  readonly offsets: ReadonlyMap<string, number>;
  readonly maxBatchRows: number;
  readonly maxBatchBytes: number;
  readonly lingerMs: number;
  readonly keepHeaders: boolean;
  readonly name: string | undefined;
  readonly pullMessages: number;
  readonly pullExpiresMs: number;
  readonly openRetryMs: number;
  readonly readPath: ReadPath;
}

/** Rows per source batch at most, unless `maxBatchRows` says otherwise. */
export const DEFAULT_MAX_BATCH_ROWS = 10_000;
/** Milliseconds a source lingers to fill a batch while it is behind, unless `lingerMs` says otherwise. */
export const DEFAULT_LINGER_MS = 5;

/** Applies defaults and checks ranges; errors name the runtime option. */
export function resolveRuntime(r: SourceRuntimeOptions): ResolvedRuntime {
  const offsets = r.offsets ?? new Map<string, number>();
  for (const [k, v] of offsets) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new InvalidOptionError(
        "offsets",
        `offsets['${k}'] must be a stream sequence (a whole number >= 0), got ${v}`,
      );
    }
  }
  return {
    offsets,
    maxBatchRows: wholeNumberOption("maxBatchRows", r.maxBatchRows, DEFAULT_MAX_BATCH_ROWS, 1),
    maxBatchBytes: wholeNumberOption("maxBatchBytes", r.maxBatchBytes, 4 * 1024 * 1024, 1),
    lingerMs: wholeNumberOption("lingerMs", r.lingerMs, DEFAULT_LINGER_MS, 0),
    keepHeaders: r.keepHeaders ?? false,
    name: r.name,
    pullMessages: wholeNumberOption("pullMessages", r.pullMessages, DEFAULT_PULL_MESSAGES, 1),
    pullExpiresMs: wholeNumberOption("pullExpiresMs", r.pullExpiresMs, 10_000, 1_000),
    openRetryMs: wholeNumberOption("openRetryMs", r.openRetryMs, 60_000, 0),
    readPath: resolveReadPath(r.readPath),
  };
}
