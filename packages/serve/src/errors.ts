import { ErrorCode, JetflowError } from "@jetflow/core";
import { LookupError, RelationNameError } from "@jetflow/pipeline";

/**
 * A request the server refuses, with the HTTP status it answers with. The body is always
 * `{ "error": message, "code": code }`.
 */
export class RequestError extends JetflowError {
  override readonly name = "RequestError";
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

/** Codes of a request's own mistakes, passed on from where they were found (a group partition's refusal). */
const REFUSALS: Readonly<Record<string, number>> = {
  [ErrorCode.UnknownRelation]: 404,
  [ErrorCode.UnknownColumn]: 400,
  [ErrorCode.InvalidValue]: 400,
};

/**
 * The status and JSON body an error is answered with: 404 for an unknown relation, 400 for an
 * unknown column or a value of the wrong type, the error's own status for a {@link RequestError},
 * 500 for anything else (its message only: errors of jetflow never carry secrets). An error whose
 * `cause` is such a refusal (a group partition refusing a query: `GroupError` with the task's
 * error as cause) answers as the refusal itself, so a group's answer is the same as one pipeline's.
 */
export function errorResponse(e: unknown): { status: number; body: { error: string; code: string } } {
  if (e instanceof RequestError) return { status: e.status, body: { error: e.message, code: e.code } };
  const cause = e instanceof JetflowError ? e.cause : undefined;
  if (cause instanceof JetflowError && REFUSALS[cause.code] !== undefined) {
    return { status: REFUSALS[cause.code] as number, body: { error: cause.message, code: cause.code } };
  }
  if (e instanceof RelationNameError) {
    return { status: 404, body: { error: e.message, code: ErrorCode.UnknownRelation } };
  }
  if (e instanceof LookupError) return { status: 400, body: { error: e.message, code: e.code } };
  if (e instanceof JetflowError) return { status: 500, body: { error: e.message, code: e.code } };
  return { status: 500, body: { error: e instanceof Error ? e.message : String(e), code: "INTERNAL" } };
}
