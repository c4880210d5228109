import { InvalidOptionError, wholeNumberOption } from "@jetflow/core";

/** Options of {@link serve}. */
export interface ServeOptions {
  /** The TCP port; 0 picks a free one (read it from the returned server). @default 0 */
  readonly port?: number;
  /** The interface to listen on; `0.0.0.0` serves other machines too. @default "127.0.0.1" */
  readonly host?: string;
  /** Rows formatted per step when a response streams a snapshot; other work runs between steps. @default 2000 */
  readonly chunkRows?: number;
  /**
   * Bytes an SSE client may leave unread (in the socket's buffer and queued behind its
   * snapshot) before it is dropped, so a client that does not read never holds memory without bound.
   * @default 4194304 (4 MiB)
   */
  readonly maxClientBufferBytes?: number;
}

/** Options of {@link serveGroup}: those of {@link serve}, and how often a watched relation is polled for its changes. */
export interface GroupServeOptions extends ServeOptions {
  /**
   * Milliseconds between two gathers of a relation an SSE client watches (`/changes` of a group
   * member finds the changes by comparing gathers). @default 1000
   */
  readonly changesPollMs?: number;
}

export interface ResolvedServeOptions {
  readonly port: number;
  readonly host: string;
  readonly chunkRows: number;
  readonly maxClientBufferBytes: number;
}

/**
 * Applies defaults and validates; errors name the option.
 * @throws InvalidOptionError
 */
export function resolveServeOptions(options: ServeOptions = {}): ResolvedServeOptions {
  const port = wholeNumberOption("port", options.port, 0, 0);
  if (port > 65535) throw new InvalidOptionError("port", `port must be at most 65535, got ${port}`);
  const host = options.host ?? "127.0.0.1";
  if (typeof host !== "string" || host === "") {
    throw new InvalidOptionError("host", `host must be an interface name or address, got ${JSON.stringify(host)}`);
  }
  return {
    port,
    host,
    chunkRows: wholeNumberOption("chunkRows", options.chunkRows, 2000, 1),
    maxClientBufferBytes: wholeNumberOption(
      "maxClientBufferBytes",
      options.maxClientBufferBytes,
      4 * 1024 * 1024,
      1024,
    ),
  };
}
