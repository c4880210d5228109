import { UnknownTypeError } from "./errors.js";

/** The scalar SQL types jetflow understands, by their canonical (PostgreSQL) name. */
export type ScalarKind =
  | "boolean"
  | "smallint"
  | "integer"
  | "bigint"
  | "real"
  | "double precision"
  | "numeric"
  | "varchar"
  | "bytea"
  | "date"
  | "time"
  | "timestamp"
  | "timestamptz"
  | "interval"
  | "jsonb";

/** A SQL column type: a scalar, a struct of named fields, or a list of one element type. */
export type SqlType =
  | { readonly kind: ScalarKind }
  | { readonly kind: "struct"; readonly fields: readonly StructField[] }
  | { readonly kind: "list"; readonly element: SqlType };

export interface StructField {
  readonly name: string;
  readonly type: SqlType;
}

/** Every spelling accepted for a scalar type (lower case, single spaces), to its canonical kind. */
const SCALAR_ALIASES: Readonly<Record<string, ScalarKind>> = {
  boolean: "boolean",
  bool: "boolean",
  smallint: "smallint",
  int2: "smallint",
  int: "integer",
  integer: "integer",
  int4: "integer",
  bigint: "bigint",
  int8: "bigint",
  real: "real",
  float4: "real",
  "double precision": "double precision",
  double: "double precision",
  float8: "double precision",
  float: "double precision",
  numeric: "numeric",
  decimal: "numeric",
  varchar: "varchar",
  "character varying": "varchar",
  text: "varchar",
  string: "varchar",
  bytea: "bytea",
  date: "date",
  time: "time",
  "time without time zone": "time",
  timestamp: "timestamp",
  "timestamp without time zone": "timestamp",
  timestamptz: "timestamptz",
  "timestamp with time zone": "timestamptz",
  interval: "interval",
  jsonb: "jsonb",
  json: "jsonb",
};

/** The scalar kinds, for checks and listings. */
export const SCALAR_KINDS: readonly ScalarKind[] = [...new Set(Object.values(SCALAR_ALIASES))];

/** Shorthand constructor for a scalar type. */
export function scalar(kind: ScalarKind): SqlType {
  return { kind };
}

/**
 * Parses a SQL type as written in DDL: `int`, `varchar(255)`, `numeric(10,2)`,
 * `timestamp with time zone`, `struct<a int, b varchar>`, `int[]`, `STRUCT<x INT>[]`.
 * Length, precision and scale modifiers are accepted and ignored (values are kept whole).
 *
 * @param column the column the type belongs to, named in the error
 * @throws UnknownTypeError naming the column and the type
 * @example parseSqlType("bigint[]") // { kind: "list", element: { kind: "bigint" } }
 */
export function parseSqlType(text: string, column = "?"): SqlType {
  const parser = new TypeParser(text, column);
  const type = parser.type();
  parser.end();
  return type;
}

/** Formats a type back to SQL, in canonical spelling: `struct<a integer, b varchar>[]`. */
export function formatSqlType(type: SqlType): string {
  switch (type.kind) {
    case "struct":
      return `struct<${type.fields.map((f) => `${f.name} ${formatSqlType(f.type)}`).join(", ")}>`;
    case "list":
      return `${formatSqlType(type.element)}[]`;
    default:
      return type.kind;
  }
}

class TypeParser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly column: string,
  ) {}

  type(): SqlType {
    let type = this.base();
    while (this.take("[")) {
      this.expect("]");
      type = { kind: "list", element: type };
    }
    return type;
  }

  end(): void {
    this.skipSpace();
    if (this.pos < this.text.length) this.fail();
  }

  private base(): SqlType {
    const words: string[] = [];
    for (let w = this.word(); w !== undefined; w = this.word()) {
      words.push(w.toLowerCase());
      if (words.length === 1 && words[0] === "struct") return this.struct();
      this.modifiers();
      const kind = SCALAR_ALIASES[words.join(" ")];
      if (kind !== undefined && !this.continues(words)) return { kind };
    }
    return this.fail();
  }

  /** True when more words may follow, e.g. `double` -> `double precision`, `timestamp` -> `... with time zone`. */
  private continues(words: string[]): boolean {
    const save = this.pos;
    const next = this.word()?.toLowerCase();
    this.pos = save;
    if (next === undefined) return false;
    const longer = [...words, next].join(" ");
    return Object.keys(SCALAR_ALIASES).some((alias) => alias === longer || alias.startsWith(`${longer} `));
  }

  private struct(): SqlType {
    this.expect("<");
    const fields: StructField[] = [];
    do {
      const name = this.word() ?? this.fail();
      fields.push({ name, type: this.type() });
    } while (this.take(","));
    this.expect(">");
    return { kind: "struct", fields };
  }

  /** `(255)` or `(10, 2)` after a type name: accepted, not kept. */
  private modifiers(): void {
    if (!this.take("(")) return;
    while (this.pos < this.text.length && this.text[this.pos] !== ")") this.pos++;
    this.expect(")");
  }

  private word(): string | undefined {
    this.skipSpace();
    const m = /^(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_]*))/.exec(this.text.slice(this.pos));
    if (m === null) return undefined;
    this.pos += m[0].length;
    return m[1] !== undefined ? m[1].replaceAll('""', '"') : (m[2] as string);
  }

  private take(ch: string): boolean {
    this.skipSpace();
    if (this.text[this.pos] !== ch) return false;
    this.pos++;
    return true;
  }

  private expect(ch: string): void {
    if (!this.take(ch)) this.fail();
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++;
  }

  private fail(): never {
    throw new UnknownTypeError(
      `column "${this.column}": unknown type "${this.text.trim()}" (accepted: ${SCALAR_KINDS.join(", ")}, struct<...>, T[])`,
    );
  }
}
