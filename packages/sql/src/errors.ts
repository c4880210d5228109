import { type ErrorCode, JetflowError } from "@jetflow/core";

/** The codes a {@link SqlError} carries: a subset of core's table. */
export type SqlErrorCode = typeof ErrorCode.SqlSyntax | typeof ErrorCode.SqlUnsupported | typeof ErrorCode.SqlName;

/**
 * A SQL text that does not parse (`SQL_SYNTAX`), uses a construct jetflow does not support
 * (`SQL_UNSUPPORTED`), or names an unknown or duplicate relation or column (`SQL_NAME`).
 * `message` starts with the position (`line 3, column 14: ...`); `detail` is the same text without it,
 * for callers that print the position their own way (`file.sql:3:14: ...`).
 *
 * @example
 * ```ts
 * try { parseSql(text); } catch (e) {
 *   if (e instanceof SqlError) console.error(`${file}:${e.line}:${e.column}: ${e.detail}`);
 * }
 * ```
 */
export class SqlError extends JetflowError {
  override readonly name = "SqlError";
  /** 1-based line of the offending token. */
  readonly line: number;
  /** 1-based column (in characters) of the offending token. */
  readonly column: number;
  /** The message without the `line L, column C: ` prefix. */
  readonly detail: string;
  declare readonly code: SqlErrorCode;

  constructor(code: SqlErrorCode, detail: string, line: number, column: number, options?: { cause?: unknown }) {
    super(code, `line ${line}, column ${column}: ${detail}`, options);
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}
