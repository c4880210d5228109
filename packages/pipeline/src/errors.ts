import { ErrorCode, JetflowError } from "@jetflow/core";

/** A name (source, table, view) that is unknown, or taken when creating. */
export class RelationNameError extends JetflowError {
  override readonly name = "RelationNameError";
  constructor(message: string) {
    super(ErrorCode.SqlName, message);
  }
}

/** A call the pipeline cannot take in its current lifecycle state (e.g. `checkpoint()` before `start()`). */
export class PipelineStateError extends JetflowError {
  override readonly name = "PipelineStateError";
  constructor(message: string) {
    super(ErrorCode.InvalidState, message);
  }
}

/** A bad message under the `fail` policy: names the relation, stream sequence and reason. */
export class BadMessageError extends JetflowError {
  override readonly name = "BadMessageError";
  constructor(
    readonly relation: string,
    readonly sequence: number,
    readonly reason: string,
  ) {
    super(ErrorCode.DecodeFailed, `${relation}: bad message at stream sequence ${sequence}: ${reason}`);
  }
}

/** The pipeline cannot run as configured (e.g. its state belongs to another pipeline). */
export class PipelineError extends JetflowError {
  override readonly name = "PipelineError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidState, message, options);
  }
}

/**
 * A query of the TypeScript DSL that breaks a rule of SQL (an aggregate in `where`, a column
 * neither grouped nor aggregated, ...); the message names the view, the rule and the column.
 */
export class QueryError extends JetflowError {
  override readonly name = "QueryError";
  constructor(message: string) {
    super(ErrorCode.SqlSyntax, message);
  }
}

/** A view query the pipeline cannot run as written (e.g. a temporal join over a table). */
export class ViewQueryError extends JetflowError {
  override readonly name = "ViewQueryError";
  constructor(message: string) {
    super(ErrorCode.SqlUnsupported, message);
  }
}

/**
 * A lookup the relation cannot answer: `reason` says which part (`unknown-column`: the column is
 * not one of the relation's; `invalid-value`: the value does not parse as the column's type).
 */
export class LookupError extends JetflowError {
  override readonly name = "LookupError";
  constructor(
    readonly reason: "unknown-column" | "invalid-value",
    message: string,
  ) {
    super(reason === "unknown-column" ? ErrorCode.UnknownColumn : ErrorCode.InvalidValue, message);
  }
}

/**
 * A feed (`Pipeline.feed`) that does not fit its relation; `reason` says how: `columns` (a key
 * that is not a column, a change whose columns differ from the feed's) or `retraction` (a
 * retraction fed to a source or to a table without primary key, which only ever insert).
 */
export class FeedError extends JetflowError {
  override readonly name = "FeedError";
  constructor(
    readonly relation: string,
    readonly reason: "columns" | "retraction",
    message: string,
  ) {
    super(reason === "columns" ? ErrorCode.InvalidSchema : ErrorCode.InvalidState, `feed "${relation}": ${message}`);
  }
}
