import { ErrorCode, JetflowError } from "@jetflow/core";

/**
 * An expression that cannot be compiled against its input schema: an unknown column
 * (code `SQL_NAME`), or an operator, function or cast that does not apply to the argument
 * types (code `SQL_UNSUPPORTED`). Thrown when a view is built, never while rows flow.
 *
 * @example
 * ```ts
 * try { compileExpr(col("nope"), schema); } catch (e) {
 *   if (e instanceof ExpressionError && e.code === ErrorCode.SqlName) console.error(e.message);
 * }
 * ```
 */
export class ExpressionError extends JetflowError {
  override readonly name = "ExpressionError";
  constructor(code: typeof ErrorCode.SqlName | typeof ErrorCode.SqlUnsupported, message: string) {
    super(code, message);
  }
}

export function unknownColumn(name: string, available: readonly string[]): ExpressionError {
  return new ExpressionError(
    ErrorCode.SqlName,
    `column "${name}" does not exist (columns: ${available.map((c) => `"${c}"`).join(", ") || "none"})`,
  );
}

export function unsupported(message: string): ExpressionError {
  return new ExpressionError(ErrorCode.SqlUnsupported, message);
}
