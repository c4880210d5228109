import { type ColumnDef, ErrorCode } from "@jetflow/core";
import type { Equalities } from "@jetflow/pipeline";
import { RequestError } from "./errors.js";

/** A rows request: column equalities and an optional row limit. */
export interface RowsQuery {
  readonly equal: Equalities;
  readonly limit: number | undefined;
}

/**
 * `?col=value&col2=value&limit=N` -> equalities and limit. A value is text as typed; it is
 * parsed by its column's type the way a JSON message's value is (`?id=42` finds integer 42,
 * `?at=2024-05-01T12:00:00Z` a timestamp); `true`/`false` are booleans, and jsonb, struct and
 * list values are JSON. Unknown columns are left for the lookup to refuse (400, naming them).
 * @throws RequestError (400) for a `limit` that is not a whole number
 */
export function parseRowsQuery(params: URLSearchParams, columns: readonly ColumnDef[]): RowsQuery {
  const equal: Record<string, unknown> = {};
  let limit: number | undefined;
  for (const [name, text] of params) {
    if (name === "limit" && !columns.some((c) => c.name === "limit")) {
      limit = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(limit)) {
        throw new RequestError(
          400,
          ErrorCode.InvalidValue,
          `limit must be a whole number, got ${JSON.stringify(text)}`,
        );
      }
      continue;
    }
    equal[name] = typedValue(
      text,
      columns.find((c) => c.name === name),
    );
  }
  return { equal, limit };
}

function typedValue(text: string, column: ColumnDef | undefined): unknown {
  switch (column?.type.kind) {
    case "boolean":
      return text === "true" ? true : text === "false" ? false : text;
    case "jsonb":
    case "struct":
    case "list":
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    default:
      return text;
  }
}
