import { ErrorCode } from "@jetflow/core";
import type { Catalog, SinkSpec, Statement } from "@jetflow/pipeline";
import type { Cursor } from "./cursor.js";
import { type SelectSource, parseSelect } from "./select-ast.js";
import { planSelect } from "./select-plan.js";
import type { SourceText } from "./source-text.js";
import type { Token } from "./tokenizer.js";
import { parseOptionList, type WithOption } from "./with-options.js";

const FORMATS = ["plain", "upsert", "debezium"] as const;

/** A parsed `CREATE SINK`, planned against the catalog by {@link planSink}. */
export interface SinkDraft {
  readonly name: string;
  readonly nameToken: Token;
  readonly ifNotExists: boolean;
  readonly from:
    | { readonly kind: "relation"; readonly name: string; readonly token: Token }
    | { readonly kind: "query"; readonly select: SelectSource };
  readonly with: readonly WithOption[];
  readonly format: SinkSpec["format"];
}

/**
 * `[IF NOT EXISTS] name {FROM relation | AS SELECT ...} WITH (...) [FORMAT {PLAIN | UPSERT |
 * DEBEZIUM} ENCODE JSON]`, the cursor standing after SINK. The SELECT of `AS` runs to the `WITH`
 * outside brackets.
 */
export function parseCreateSink(cur: Cursor): SinkDraft {
  const ifNotExists = cur.takeKeywords("if", "not", "exists");
  const { name, token: nameToken } = cur.name("a sink name");
  let from: SinkDraft["from"];
  if (cur.takeKeyword("from")) {
    const rel = cur.name("a table, source or view name after FROM");
    from = { kind: "relation", name: rel.name, token: rel.token };
  } else if (cur.takeKeyword("as")) {
    const first = cur.peek();
    let last = first;
    let depth = 0;
    while (
      cur.peek().kind !== "eof" &&
      !cur.isSymbol(";") &&
      !(depth === 0 && cur.isKeyword("with") && last !== first)
    ) {
      if (cur.isSymbol("(")) depth++;
      if (cur.isSymbol(")")) depth--;
      last = cur.next();
    }
    if (last === first && !cur.isKeyword("with")) throw cur.expected("a SELECT query after AS");
    from = { kind: "query", select: parseSelect(cur.src, first.start, last.end) };
  } else throw cur.expected(`FROM relation or AS SELECT after the sink name "${name}"`);
  cur.expectKeyword("with", "(...) options of the sink");
  const withOptions = parseOptionList(cur, "WITH");
  let format: SinkSpec["format"];
  if (cur.takeKeyword("format")) {
    const f = cur.peek();
    if (f.kind !== "ident" || !(FORMATS as readonly string[]).includes(f.value)) {
      throw cur.error(ErrorCode.SqlUnsupported, f, "a sink's FORMAT is PLAIN, UPSERT or DEBEZIUM");
    }
    cur.next();
    format = f.value as SinkSpec["format"];
    cur.expectKeyword("encode", `after FORMAT ${f.value.toUpperCase()}`);
    const e = cur.peek();
    if (e.kind !== "ident" || e.value !== "json")
      throw cur.error(ErrorCode.SqlUnsupported, e, "a sink encodes JSON: ENCODE JSON");
    cur.next();
    if (cur.isSymbol("(")) {
      const first = parseOptionList(cur, "ENCODE JSON")[0];
      if (first !== undefined) {
        throw cur.error(
          ErrorCode.SqlUnsupported,
          first.keyToken,
          `ENCODE JSON option ${first.key} is not supported for sinks`,
        );
      }
    }
  }
  return { name, nameToken, ifNotExists, from, with: withOptions, format };
}

/** Resolves the names of a `CREATE SINK` and plans its query. */
export function planSink(src: SourceText, draft: SinkDraft, catalog: Catalog): Statement {
  const taken = catalog.hasSink?.(draft.name) === true || catalog.columnsOf(draft.name) !== undefined;
  if (!draft.ifNotExists && taken)
    throw src.error(ErrorCode.SqlName, draft.nameToken.start, `sink "${draft.name}" already exists`);
  if (!draft.with.some((o) => o.key === "connector")) {
    throw src.error(
      ErrorCode.SqlSyntax,
      draft.nameToken.start,
      "missing option connector in WITH (...): connector = 'nats' or 'nats_kv'",
    );
  }
  let from: SinkSpec["from"];
  if (draft.from.kind === "relation") {
    if (catalog.columnsOf(draft.from.name) === undefined) {
      throw src.error(ErrorCode.SqlName, draft.from.token.start, `relation "${draft.from.name}" does not exist`);
    }
    from = { kind: "relation", name: draft.from.name };
  } else from = { kind: "query", query: planSelect(draft.from.select, catalog) };
  return {
    kind: "create_sink",
    name: draft.name,
    ifNotExists: draft.ifNotExists,
    spec: { from, with: Object.fromEntries(draft.with.map((o) => [o.key, o.value])), format: draft.format },
  };
}
