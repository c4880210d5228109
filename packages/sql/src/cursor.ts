import { ErrorCode } from "@jetflow/core";
import type { SqlError, SqlErrorCode } from "./errors.js";
import type { SourceText } from "./source-text.js";
import type { Token } from "./tokenizer.js";

/** Reserved words (PostgreSQL's, among those DDL uses) that cannot be an unquoted name. */
const RESERVED = new Set([
  "all",
  "and",
  "as",
  "by",
  "case",
  "create",
  "from",
  "group",
  "having",
  "limit",
  "not",
  "null",
  "or",
  "order",
  "primary",
  "select",
  "table",
  "where",
  "with",
]);

/** How an error message shows a token: keywords and names as written, literals without their content. */
export function describeToken(src: SourceText, token: Token): string {
  switch (token.kind) {
    case "eof":
      return "end of input";
    // Literals may hold secrets (a password in WITH): never echo their content.
    case "string":
    case "backtick":
      return "a string literal";
    default:
      return `'${src.text.slice(token.start, Math.min(token.end, token.start + 40))}'`;
  }
}

/**
 * A position in a token list with the checks a recursive-descent parser needs. Errors say what
 * was expected and what was found, at the found token's line and column.
 */
export class Cursor {
  private index: number;

  constructor(
    readonly src: SourceText,
    private readonly tokens: readonly Token[],
    index = 0,
  ) {
    this.index = index;
  }

  get position(): number {
    return this.index;
  }

  peek(ahead = 0): Token {
    const tokens = this.tokens;
    return tokens[Math.min(this.index + ahead, tokens.length - 1)] as Token;
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== "eof") this.index++;
    return token;
  }

  /** True when the token `ahead` is the unquoted keyword `word` (lower case). */
  isKeyword(word: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === "ident" && token.value === word;
  }

  takeKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.index++;
    return true;
  }

  /** Takes `words` in sequence (e.g. `IF NOT EXISTS`) or nothing. */
  takeKeywords(...words: string[]): boolean {
    if (!words.every((w, k) => this.isKeyword(w, k))) return false;
    this.index += words.length;
    return true;
  }

  expectKeyword(word: string, context: string): Token {
    if (!this.isKeyword(word)) throw this.expected(`${word.toUpperCase()} ${context}`);
    return this.next();
  }

  isSymbol(symbol: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === "symbol" && token.value === symbol;
  }

  takeSymbol(symbol: string): boolean {
    if (!this.isSymbol(symbol)) return false;
    this.index++;
    return true;
  }

  expectSymbol(symbol: string, context: string): Token {
    if (!this.isSymbol(symbol)) throw this.expected(`'${symbol}' ${context}`);
    return this.next();
  }

  /** `expected <what>, found <the next token>` at the next token. */
  expected(what: string, token: Token = this.peek()): SqlError {
    return this.src.error(
      ErrorCode.SqlSyntax,
      token.start,
      `expected ${what}, found ${describeToken(this.src, token)}`,
    );
  }

  error(code: SqlErrorCode, token: Token, detail: string): SqlError {
    return this.src.error(code, token.start, detail);
  }

  /** A relation or column name: an unquoted word (folded) or a quoted identifier (as written). */
  name(what: string): { name: string; token: Token } {
    const token = this.peek();
    if (token.kind !== "ident" && token.kind !== "quoted") throw this.expected(what);
    if (token.kind === "ident" && RESERVED.has(token.value)) throw this.expected(what);
    this.index++;
    if (this.isSymbol(".")) {
      throw this.error(ErrorCode.SqlUnsupported, token, `schema-qualified names are not supported: "${token.value}.…"`);
    }
    return { name: token.value, token };
  }
}
