/**
 * The error codes of every jetflow package, in one `as const` table so users can
 * match on `err.code` instead of message text.
 */
export const ErrorCode = {
  /** An option has a wrong value, is missing, or is unknown. */
  InvalidOption: "INVALID_OPTION",
  /** A SQL type that jetflow cannot map to Arrow. */
  UnknownType: "UNKNOWN_TYPE",
  /** A schema is inconsistent (duplicate column, missing primary-key column, ...). */
  InvalidSchema: "INVALID_SCHEMA",
  /** A message payload could not be decoded. */
  DecodeFailed: "DECODE_FAILED",
  /** Connecting to NATS failed (server down, refused, TLS). */
  ConnectionFailed: "CONNECTION_FAILED",
  /** The server refused the credentials. */
  AuthenticationFailed: "AUTHENTICATION_FAILED",
  /** The user lacks a permission (e.g. subscribe on the subject). */
  PermissionDenied: "PERMISSION_DENIED",
  /** The stream does not exist and may not be created. */
  StreamNotFound: "STREAM_NOT_FOUND",
  /** A JetStream consumer operation failed. */
  ConsumerFailed: "CONSUMER_FAILED",
  /** A checkpoint could not be written or read. */
  CheckpointFailed: "CHECKPOINT_FAILED",
  /** A SQL text does not parse. */
  SqlSyntax: "SQL_SYNTAX",
  /** A SQL construct parses but jetflow does not support it. */
  SqlUnsupported: "SQL_UNSUPPORTED",
  /** A name (table, view, column) is unknown or already taken. */
  SqlName: "SQL_NAME",
  /** The pipeline is used in a state that does not allow the call. */
  InvalidState: "INVALID_STATE",
  /** A lookup or request names a relation that does not exist. */
  UnknownRelation: "UNKNOWN_RELATION",
  /** A lookup names a column the relation does not have. */
  UnknownColumn: "UNKNOWN_COLUMN",
  /** A lookup value does not parse as its column's type. */
  InvalidValue: "INVALID_VALUE",
  /** A request for something the server does not serve (a path, a method, a format). */
  NotFound: "NOT_FOUND",
  /** A sink could not deliver to NATS (no stream for its subject, a publish refused). */
  SinkFailed: "SINK_FAILED",
  /** A group of processes cannot form or keep its membership (old server, config mismatch, lease lost, fenced). */
  GroupFailed: "GROUP_FAILED",
  /** An exchange stream between stages is unusable (wrong subjects) or a message on it does not decode. */
  ExchangeFailed: "EXCHANGE_FAILED",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The base class of every error jetflow throws.
 *
 * @example
 * ```ts
 * try { await p.start(); } catch (e) {
 *   if (e instanceof JetflowError && e.code === ErrorCode.AuthenticationFailed) { ... }
 * }
 * ```
 */
export class JetflowError extends Error {
  override readonly name: string = "JetflowError";
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** The message of an unknown thrown value. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** An option is missing, unknown, or has a value outside the accepted ones. */
export class InvalidOptionError extends JetflowError {
  override readonly name = "InvalidOptionError";
  /** The option key as the user wrote it, e.g. `scan.startup.mode`. */
  readonly option: string;

  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidOption, message, options);
    this.option = option;
  }
}

/** A SQL type name that has no Arrow mapping. */
export class UnknownTypeError extends JetflowError {
  override readonly name = "UnknownTypeError";
  constructor(message: string) {
    super(ErrorCode.UnknownType, message);
  }
}

/** A schema that cannot be built as written. */
export class SchemaError extends JetflowError {
  override readonly name = "SchemaError";
  constructor(message: string) {
    super(ErrorCode.InvalidSchema, message);
  }
}
