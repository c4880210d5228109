import { type ColumnDef, ErrorCode, type SqlType, UnknownTypeError, parseSqlType } from "@jetflow/core";
import type { Catalog, FormatSpec, IncludeColumn, Statement } from "@jetflow/pipeline";
import type { Cursor } from "./cursor.js";
import type { SourceText } from "./source-text.js";
import type { Token } from "./tokenizer.js";
import { type WithOption, parseOptionList } from "./with-options.js";

/** The ENCODE kinds jetflow decodes. */
const ENCODES = ["json", "protobuf", "bytes", "msgpack"] as const;
type Encode = (typeof ENCODES)[number];

/** The INCLUDE kinds of the NATS connector. */
const INCLUDE_KINDS = ["subject", "offset", "partition", "payload", "header", "timestamp", "sequence"] as const;

/** Words that end a column's type: the column constraints PostgreSQL and RisingWave know. */
const CONSTRAINT_WORDS = new Set([
  "primary",
  "not",
  "null",
  "default",
  "unique",
  "check",
  "references",
  "constraint",
  "as",
  "generated",
  "collate",
]);

/** Clause words that cannot be part of a type: a column list left open stops at them. */
const CLAUSE_WORDS = new Set(["include", "with", "format", "encode"]);

interface ColumnDraft {
  readonly name: string;
  readonly type: SqlType;
  readonly token: Token;
}

interface NameRef {
  readonly name: string;
  readonly token: Token;
}

/** A parsed `CREATE TABLE | SOURCE`, with the tokens that plan-time errors point at. */
export interface IngestDraft {
  readonly kind: "table" | "source";
  readonly name: NameRef;
  readonly ifNotExists: boolean;
  /** Undefined when there is no column list (or it holds only a PRIMARY KEY constraint). */
  readonly columns: readonly ColumnDraft[] | undefined;
  readonly primaryKey: readonly NameRef[];
  /** The `PRIMARY` token of the (first) primary-key definition. */
  readonly primaryKeyToken: Token | undefined;
  readonly include: readonly { readonly column: IncludeColumn; readonly token: Token }[];
  readonly withToken: Token;
  readonly with: readonly WithOption[];
  readonly encodeToken: Token;
  readonly encode: Encode;
  readonly encodeOptions: readonly WithOption[];
}

/**
 * Parses the rest of `CREATE {TABLE | SOURCE} [IF NOT EXISTS] name [(columns)] [INCLUDE ...]
 * WITH (...) FORMAT PLAIN ENCODE X [(...)]`, the cursor standing after TABLE or SOURCE.
 */
export function parseCreateIngest(cur: Cursor, kind: "table" | "source"): IngestDraft {
  const ifNotExists = cur.takeKeywords("if", "not", "exists");
  const name = cur.name(`a ${kind} name`);
  let columns: ColumnDraft[] | undefined;
  let primaryKey: NameRef[] = [];
  let primaryKeyToken: Token | undefined;
  const setPrimaryKey = (token: Token, key: NameRef[]) => {
    if (primaryKeyToken !== undefined) {
      throw cur.error(ErrorCode.SqlSyntax, token, `multiple primary keys for ${kind} "${name.name}" are not allowed`);
    }
    primaryKeyToken = token;
    primaryKey = key;
  };

  if (cur.takeSymbol("(")) {
    const list: ColumnDraft[] = [];
    while (!cur.takeSymbol(")")) {
      if (cur.isKeyword("primary")) {
        const token = cur.next();
        cur.expectKeyword("key", "after PRIMARY");
        setPrimaryKey(token, parseNameList(cur));
      } else {
        const column = parseColumn(cur);
        list.push(column.column);
        if (column.primaryKey !== undefined) setPrimaryKey(column.primaryKey, [column.column]);
      }
      if (!cur.takeSymbol(",") && !cur.isSymbol(")")) {
        const token = cur.peek();
        if (token.kind === "ident" && CONSTRAINT_WORDS.has(token.value) && token.value !== "primary") {
          throw cur.error(
            ErrorCode.SqlUnsupported,
            token,
            `column constraint ${token.value.toUpperCase()} is not supported (only PRIMARY KEY)`,
          );
        }
        throw cur.expected("')' or ',' after column definition");
      }
    }
    columns = list.length > 0 ? list : undefined;
  }

  const include: { column: IncludeColumn; token: Token }[] = [];
  while (cur.isKeyword("include")) {
    cur.next();
    include.push(parseInclude(cur));
  }

  if (!cur.isKeyword("with")) {
    throw cur.expected(include.length > 0 || columns !== undefined ? "INCLUDE or WITH" : "'(', INCLUDE or WITH");
  }
  const withToken = cur.next();
  const withOptions = parseOptionList(cur, "WITH");

  cur.expectKeyword("format", "after WITH (...)");
  const format = cur.peek();
  if (format.kind !== "ident") throw cur.expected("a format (PLAIN) after FORMAT");
  if (format.value !== "plain") {
    throw cur.error(
      ErrorCode.SqlUnsupported,
      format,
      `FORMAT ${format.value.toUpperCase()} is not supported (jetflow reads FORMAT PLAIN)`,
    );
  }
  cur.next();
  cur.expectKeyword("encode", "after FORMAT PLAIN");
  const encodeToken = cur.peek();
  if (encodeToken.kind !== "ident") throw cur.expected("an encoding (JSON, PROTOBUF, BYTES or MSGPACK) after ENCODE");
  if (!(ENCODES as readonly string[]).includes(encodeToken.value)) {
    throw cur.error(
      ErrorCode.SqlUnsupported,
      encodeToken,
      `ENCODE ${encodeToken.value.toUpperCase()} is not supported (supported: JSON, PROTOBUF, BYTES, MSGPACK)`,
    );
  }
  cur.next();
  const encodeOptions = cur.isSymbol("(") ? parseOptionList(cur, `ENCODE ${encodeToken.value.toUpperCase()}`) : [];

  return {
    kind,
    name,
    ifNotExists,
    columns,
    primaryKey,
    primaryKeyToken,
    include,
    withToken,
    with: withOptions,
    encodeToken,
    encode: encodeToken.value as Encode,
    encodeOptions,
  };
}

/** `name type [PRIMARY KEY]`; the type runs to the next `,` / `)` / constraint word outside brackets. */
function parseColumn(cur: Cursor): { column: ColumnDraft; primaryKey: Token | undefined } {
  const { name, token } = cur.name("a column name or PRIMARY KEY");
  const typeTokens: Token[] = [];
  let depth = 0;
  for (;;) {
    const t = cur.peek();
    if (t.kind === "eof" || t.kind === "string" || t.kind === "backtick") break;
    if (depth === 0 && t.kind === "symbol" && (t.value === "," || t.value === ")")) break;
    // `timestamp WITH time zone` is a type; any other WITH starts the clause.
    const typeWith = t.value === "with" && cur.isKeyword("time", 1);
    if (
      depth === 0 &&
      t.kind === "ident" &&
      !typeWith &&
      (CONSTRAINT_WORDS.has(t.value) || CLAUSE_WORDS.has(t.value))
    ) {
      break;
    }
    if (t.kind === "symbol" && (t.value === "(" || t.value === "<" || t.value === "[")) depth++;
    if (t.kind === "symbol" && (t.value === ")" || t.value === ">" || t.value === "]")) depth--;
    typeTokens.push(cur.next());
  }
  const first = typeTokens[0];
  if (first === undefined) throw cur.expected(`a data type for column "${name}"`);
  const typeText = typeTokens.map((t) => cur.src.text.slice(t.start, t.end)).join(" ");
  let type: SqlType;
  try {
    type = parseSqlType(typeText, name);
  } catch (e) {
    if (!(e instanceof UnknownTypeError)) throw e;
    throw cur.src.error(ErrorCode.SqlUnsupported, first.start, e.message, e);
  }
  let primaryKey: Token | undefined;
  if (cur.isKeyword("primary")) {
    primaryKey = cur.next();
    cur.expectKeyword("key", "after PRIMARY");
  }
  return { column: { name, type, token }, primaryKey };
}

/** `(a, b, ...)` after PRIMARY KEY. */
function parseNameList(cur: Cursor): NameRef[] {
  cur.expectSymbol("(", "after PRIMARY KEY");
  const names: NameRef[] = [];
  do {
    names.push(cur.name("a column name"));
  } while (cur.takeSymbol(","));
  cur.expectSymbol(")", "or ',' in the PRIMARY KEY column list");
  return names;
}

/** `kind ['header key'] [AS name]` after INCLUDE. */
function parseInclude(cur: Cursor): { column: IncludeColumn; token: Token } {
  const token = cur.peek();
  const kinds = INCLUDE_KINDS.join(", ");
  if (token.kind !== "ident") throw cur.expected(`a metadata kind after INCLUDE (${kinds})`);
  const kind = INCLUDE_KINDS.find((k) => k === token.value);
  if (kind === undefined) {
    throw cur.error(
      ErrorCode.SqlUnsupported,
      token,
      `INCLUDE ${token.value} is not supported by the NATS connector (supported: ${kinds})`,
    );
  }
  cur.next();
  let key: string | undefined;
  if (kind === "header" && cur.peek().kind === "string") key = cur.next().value;
  let name = key === undefined ? `_rw_nats_${kind}` : `_rw_nats_header_${key}`;
  if (cur.takeKeyword("as")) name = cur.name("a column name after AS").name;
  const column: IncludeColumn = key === undefined ? { kind, name } : { kind, name, key };
  return { column, token };
}

/**
 * The checks that need no network, against the catalog as it stands: the name is free, the
 * connector is NATS, columns are unique, the primary key names columns (tables only: RisingWave
 * rejects PRIMARY KEY on a source, which checks no key), and the encoding has what it needs.
 */
export function planIngest(src: SourceText, draft: IngestDraft, catalog: Catalog): Statement {
  const { kind, name } = draft;
  if (!draft.ifNotExists && catalog.columnsOf(name.name) !== undefined) {
    throw src.error(ErrorCode.SqlName, name.token.start, `relation "${name.name}" already exists`);
  }
  checkConnector(src, draft);

  const seen = new Set<string>();
  const named = [
    ...(draft.columns ?? []).map((c) => ({ name: c.name, token: c.token })),
    ...draft.include.map((i) => ({ name: i.column.name, token: i.token })),
  ];
  for (const c of named) {
    if (seen.has(c.name))
      throw src.error(ErrorCode.SqlName, c.token.start, `column "${c.name}" specified more than once`);
    seen.add(c.name);
  }

  if (draft.primaryKeyToken !== undefined && kind === "source") {
    throw src.error(
      ErrorCode.SqlUnsupported,
      draft.primaryKeyToken.start,
      'a source does not support PRIMARY KEY constraint, please use "CREATE TABLE" instead',
    );
  }
  const keySeen = new Set<string>();
  for (const k of draft.primaryKey) {
    if (keySeen.has(k.name)) {
      throw src.error(ErrorCode.SqlName, k.token.start, `column "${k.name}" appears twice in primary key constraint`);
    }
    keySeen.add(k.name);
    // Without a column list the columns come from the protobuf message: the pipeline checks the key then.
    if (draft.columns !== undefined && !seen.has(k.name)) {
      throw src.error(ErrorCode.SqlName, k.token.start, `column "${k.name}" named in key does not exist`);
    }
  }

  const format = checkFormat(src, draft);
  const columns: ColumnDef[] | undefined = draft.columns?.map((c) => ({ name: c.name, type: c.type }));
  const spec = {
    columns,
    include: draft.include.map((i) => i.column),
    with: Object.fromEntries(draft.with.map((o) => [o.key, o.value])),
    format,
  };
  return kind === "table"
    ? {
        kind: "create_table",
        name: name.name,
        ifNotExists: draft.ifNotExists,
        spec: { ...spec, primaryKey: draft.primaryKey.map((k) => k.name) },
      }
    : { kind: "create_source", name: name.name, ifNotExists: draft.ifNotExists, spec };
}

function checkConnector(src: SourceText, draft: IngestDraft): void {
  const connector = draft.with.find((o) => o.key === "connector");
  if (connector === undefined) {
    throw src.error(
      ErrorCode.SqlSyntax,
      draft.withToken.start,
      "missing option connector in WITH (...): connector = 'nats'",
    );
  }
  if (connector.value.toLowerCase() !== "nats") {
    throw src.error(
      ErrorCode.SqlUnsupported,
      connector.valueToken.start,
      `connector '${connector.value}' is not supported: jetflow reads from NATS JetStream (connector = 'nats')`,
    );
  }
}

function checkFormat(src: SourceText, draft: IngestDraft): FormatSpec {
  const { encode, encodeToken } = draft;
  const options = Object.fromEntries(draft.encodeOptions.map((o) => [o.key, o.value]));
  const ENCODE = encode.toUpperCase();
  if (encode === "protobuf") {
    for (const key of ["message", "schema.location"]) {
      if (options[key] === undefined) {
        throw src.error(
          ErrorCode.SqlSyntax,
          encodeToken.start,
          `ENCODE PROTOBUF needs the option ${key}: ENCODE PROTOBUF (message = 'package.Message', schema.location = 'file://... | http(s)://...')`,
        );
      }
    }
  } else if (draft.columns === undefined) {
    throw src.error(ErrorCode.SqlSyntax, encodeToken.start, `ENCODE ${ENCODE} needs a column list: (name type, ...)`);
  }
  if (encode === "bytes") {
    const only = draft.columns?.length === 1 ? draft.columns[0] : undefined;
    if (only === undefined || only.type.kind !== "bytea") {
      throw src.error(ErrorCode.SqlSyntax, encodeToken.start, "ENCODE BYTES needs exactly one column, of type bytea");
    }
  }
  return { format: "plain", encode, options };
}
