import { isNameToken } from "./group-keys.js";

/**
 * A query of one partition's part of a relation: the rows whose columns equal `equal` (JSON
 * values; absent or empty: every row the partition holds).
 *
 * @example
 * ```ts
 * const q: PartitionQuery = { relation: "by_region", equal: { region: "eu" } };
 * ```
 */
export interface PartitionQuery {
  readonly relation: string;
  readonly equal?: Readonly<Record<string, unknown>>;
  /**
   * Reply with the rows as an Arrow IPC stream (types kept, for a caller that formats them as
   * `--print` does) instead of JSON rows; the task must have `queryTable`. @default false
   */
  readonly arrow?: boolean;
}

/** The header that marks an Arrow IPC reply (`arrow`); a reply without it is JSON. */
export const REPLY_FORMAT_HEADER = "Jetflow-Reply";

/** Rows of a relation: column names, then one array of JSON-able cells per row, in column order. */
export interface QueryRows {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

/** What a partition answers on {@link partitionQuerySubject}, as JSON. */
export type PartitionQueryReply =
  | { readonly ok: true; readonly rows: QueryRows }
  /** `code`: the error code when the task threw a `JetflowError` (say `UNKNOWN_RELATION`). */
  | { readonly ok: false; readonly error: string; readonly code?: string };

/**
 * The subject the owner of partition `p` of group `group` answers queries on: `jf.q.<group>.<p>`.
 *
 * @example
 * ```ts
 * partitionQuerySubject("orders", 3); // "jf.q.orders.3"
 * ```
 */
export function partitionQuerySubject(group: string, p: number): string {
  if (!isNameToken(group)) throw new RangeError(`group name "${group}" may only hold letters, digits, "-" and "_"`);
  if (!Number.isInteger(p) || p < 0) throw new RangeError(`partition must be a whole number >= 0, got ${p}`);
  return `jf.q.${group}.${p}`;
}

/** A request's JSON text, checked: a relation name and, optionally, an object of column equalities. */
export function encodeQuery(request: PartitionQuery): string {
  checkQuery(request);
  return JSON.stringify(request);
}

/** A request as JSON bytes, checked as {@link encodeQuery} checks it. @throws TypeError naming what is wrong */
export function decodeQuery(data: Uint8Array): PartitionQuery {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch {
    throw new TypeError("a partition query is a JSON object, and this is not JSON");
  }
  checkQuery(value);
  return value;
}

function checkQuery(value: unknown): asserts value is PartitionQuery {
  const q = value as Partial<PartitionQuery> | null;
  if (typeof q !== "object" || q === null || Array.isArray(q)) {
    throw new TypeError('a partition query is a JSON object {"relation": NAME, "equal"?: {COLUMN: VALUE}}');
  }
  if (typeof q.relation !== "string" || q.relation === "") {
    throw new TypeError("a partition query names its relation: relation must be a non-empty string");
  }
  const equal: unknown = q.equal;
  if (equal !== undefined && (typeof equal !== "object" || equal === null || Array.isArray(equal))) {
    throw new TypeError("equal must be an object of column equalities, {COLUMN: VALUE}");
  }
  if (q.arrow !== undefined && typeof q.arrow !== "boolean") throw new TypeError("arrow must be true or false");
}

/** A reply as JSON bytes, checked: `{ok: true, rows}` or `{ok: false, error}`. @throws TypeError when it is neither */
export function decodeReply(data: Uint8Array): PartitionQueryReply {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch {
    throw new TypeError("a partition query reply is JSON, and this is not");
  }
  const r = value as { ok?: unknown; error?: unknown; code?: unknown; rows?: Partial<QueryRows> } | null;
  if (r?.ok === false && typeof r.error === "string") {
    return typeof r.code === "string" ? { ok: false, error: r.error, code: r.code } : { ok: false, error: r.error };
  }
  if (r?.ok === true && Array.isArray(r.rows?.columns) && Array.isArray(r.rows?.rows)) {
    return { ok: true, rows: r.rows as QueryRows };
  }
  throw new TypeError('a partition query reply is {"ok": true, "rows": {"columns", "rows"}} or {"ok": false, "error"}');
}
