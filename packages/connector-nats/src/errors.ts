import { ErrorCode, JetflowError } from "@jetflow/core/base";

/**
 * Connecting to NATS failed: no server of `server_url` answered, TLS failed, or the connection
 * closed for good. Code `CONNECTION_FAILED`.
 *
 * @example
 * ```ts
 * try { await NatsSource.open(config); } catch (e) {
 *   if (e instanceof ConnectionFailedError) console.error(e.message); // names the servers tried
 * }
 * ```
 */
export class ConnectionFailedError extends JetflowError {
  override readonly name = "ConnectionFailedError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.ConnectionFailed, message, options);
  }
}

/**
 * The server refused the credentials of `connect_mode` (never part of the message).
 * Code `AUTHENTICATION_FAILED`.
 *
 * @example
 * ```ts
 * if (e instanceof AuthenticationFailedError) console.error("check username/password");
 * ```
 */
export class AuthenticationFailedError extends JetflowError {
  override readonly name = "AuthenticationFailedError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.AuthenticationFailed, message, options);
  }
}

/**
 * The user may not publish or subscribe on a subject the source needs (a JetStream API
 * subject, its reply inbox, or the data subject). Code `PERMISSION_DENIED`.
 *
 * @example
 * ```ts
 * if (e instanceof PermissionDeniedError) console.error(e.message); // names the subject
 * ```
 */
export class PermissionDeniedError extends JetflowError {
  override readonly name = "PermissionDeniedError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.PermissionDenied, message, options);
  }
}

/**
 * The stream does not exist and `allow_create_stream` is not set (or it vanished while
 * consuming). Code `STREAM_NOT_FOUND`.
 *
 * @example
 * ```ts
 * if (e instanceof StreamNotFoundError) console.error(`${e.stream} is missing`);
 * ```
 */
export class StreamNotFoundError extends JetflowError {
  override readonly name = "StreamNotFoundError";
  constructor(
    readonly stream: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.StreamNotFound, message, options);
  }
}

/**
 * Creating, consuming from or acknowledging a JetStream consumer failed. Code `CONSUMER_FAILED`.
 *
 * @example
 * ```ts
 * if (e instanceof ConsumerFailedError) console.error(`consumer for ${e.consumerKey}: ${e.message}`);
 * ```
 */
export class ConsumerFailedError extends JetflowError {
  override readonly name = "ConsumerFailedError";
  constructor(
    /** The consumer key (its filter subject), when one consumer is concerned. */
    readonly consumerKey: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.ConsumerFailed, message, options);
  }
}
