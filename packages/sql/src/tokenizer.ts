import { ErrorCode } from "@jetflow/core";
import type { SourceText } from "./source-text.js";

/**
 * `ident`: an unquoted word, `value` folded to lower case like PostgreSQL does (ASCII only);
 * `quoted`: a `"double quoted"` identifier, `value` as written; `string`: a `'single quoted'`,
 * `E'escaped'` or `$tag$dollar quoted$tag$` literal; `backtick`: a `` `backtick` `` literal (the
 * seed's syntax block writes values that way); `number`; `symbol`: one punctuation character;
 * `param`: `$1`; `eof`: the end of the text.
 */
export type TokenKind = "ident" | "quoted" | "string" | "backtick" | "number" | "symbol" | "param" | "eof";

export interface Token {
  readonly kind: TokenKind;
  /** The value: folded identifier, unescaped literal, number text or the symbol character. */
  readonly value: string;
  /** UTF-16 offsets of the token in the source text: `[start, end)`. */
  readonly start: number;
  readonly end: number;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdentStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 0x80;
const isIdentPart = (c: number) => isIdentStart(c) || isDigit(c) || c === 36;
const isSpace = (c: number) =>
  c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029;

/** Folds an unquoted identifier the way PostgreSQL does: ASCII letters only. */
export function foldIdentifier(word: string): string {
  return word.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * Splits a SQL text into tokens, skipping whitespace, `--` comments and (nested) `/* *\/`
 * comments. Lexes strings, quoted identifiers and dollar quotes exactly enough that a `;`
 * inside any of them never ends a statement.
 *
 * @throws SqlError (SQL_SYNTAX) on an unterminated string, identifier or comment
 */
export function tokenize(src: SourceText): Token[] {
  const text = src.text;
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, value: string, start: number) => tokens.push({ kind, value, start, end: i });
  while (i < text.length) {
    const c = text[i] as string;
    const code = text.charCodeAt(i);
    const start = i;
    if (isSpace(code)) {
      i++;
    } else if (c === "-" && text[i + 1] === "-") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      i = skipBlockComment(src, i);
    } else if (c === "'") {
      const value = quoted(src, i, "'", "unterminated quoted string");
      i = value.end;
      push("string", value.text, start);
    } else if ((c === "E" || c === "e") && text[i + 1] === "'") {
      const value = escapedString(src, i + 1);
      i = value.end;
      push("string", value.text, start);
    } else if (c === '"') {
      const value = quoted(src, i, '"', "unterminated quoted identifier");
      if (value.text === "") throw src.error(ErrorCode.SqlSyntax, start, "zero-length quoted identifier");
      i = value.end;
      push("quoted", value.text, start);
    } else if (c === "`") {
      const value = quoted(src, i, "`", "unterminated backtick-quoted string");
      i = value.end;
      push("backtick", value.text, start);
    } else if (c === "$") {
      const dollar = dollarQuote(src, i);
      if (dollar !== undefined) {
        i = dollar.end;
        push("string", dollar.text, start);
      } else {
        i++;
        while (i < text.length && isDigit(text.charCodeAt(i))) i++;
        push(i > start + 1 ? "param" : "symbol", text.slice(start, i), start);
      }
    } else if (isDigit(code) || (c === "." && isDigit(text.charCodeAt(i + 1)))) {
      i = numberEnd(text, i);
      push("number", text.slice(start, i), start);
    } else if (isIdentStart(code)) {
      while (i < text.length && isIdentPart(text.charCodeAt(i))) i++;
      push("ident", foldIdentifier(text.slice(start, i)), start);
    } else {
      i += c.codePointAt(0)! > 0xffff ? 2 : 1;
      push("symbol", text.slice(start, i), start);
    }
  }
  tokens.push({ kind: "eof", value: "", start: text.length, end: text.length });
  return tokens;
}

function skipBlockComment(src: SourceText, from: number): number {
  const text = src.text;
  let depth = 0;
  let i = from;
  while (i < text.length) {
    if (text[i] === "/" && text[i + 1] === "*") {
      depth++;
      i += 2;
    } else if (text[i] === "*" && text[i + 1] === "/") {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  throw src.error(ErrorCode.SqlSyntax, from, "unterminated /* comment");
}

/** A literal closed by `quote`, where a doubled quote stands for one. */
function quoted(src: SourceText, from: number, quote: string, unterminated: string): { text: string; end: number } {
  const text = src.text;
  let out = "";
  let i = from + 1;
  for (;;) {
    const next = text.indexOf(quote, i);
    if (next < 0) throw src.error(ErrorCode.SqlSyntax, from, unterminated);
    out += text.slice(i, next);
    if (text[next + 1] === quote) {
      out += quote;
      i = next + 2;
    } else {
      return { text: out, end: next + 1 };
    }
  }
}

const ESCAPES: Readonly<Record<string, string>> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** `E'...'`: backslash escapes as PostgreSQL reads them (octal and hex included). */
function escapedString(src: SourceText, from: number): { text: string; end: number } {
  const text = src.text;
  let out = "";
  let i = from + 1;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === "'") {
      if (text[i + 1] !== "'") return { text: out, end: i + 1 };
      out += "'";
      i += 2;
    } else if (c === "\\" && i + 1 < text.length) {
      const e = text[i + 1] as string;
      const oct = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4));
      const hex = /^x([0-9A-Fa-f]{1,2})/.exec(text.slice(i + 1, i + 4));
      if (oct !== null) {
        out += String.fromCharCode(Number.parseInt(oct[0], 8));
        i += 1 + oct[0].length;
      } else if (hex !== null) {
        out += String.fromCharCode(Number.parseInt(hex[1] as string, 16));
        i += 1 + hex[0].length;
      } else {
        out += ESCAPES[e] ?? e;
        i += 2;
      }
    } else {
      out += c;
      i++;
    }
  }
  throw src.error(ErrorCode.SqlSyntax, from - 1, "unterminated quoted string");
}

/** `$tag$ ... $tag$` (tag may be empty); undefined when the `$` does not open one. */
function dollarQuote(src: SourceText, from: number): { text: string; end: number } | undefined {
  const m = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
  m.lastIndex = from;
  const found = m.exec(src.text);
  if (found === null) return undefined;
  const delimiter = found[0];
  const bodyStart = from + delimiter.length;
  const close = src.text.indexOf(delimiter, bodyStart);
  if (close < 0) throw src.error(ErrorCode.SqlSyntax, from, "unterminated dollar-quoted string");
  return { text: src.text.slice(bodyStart, close), end: close + delimiter.length };
}

function numberEnd(text: string, from: number): number {
  const re = /(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/y;
  re.lastIndex = from;
  const m = re.exec(text);
  return from + (m === null ? 1 : m[0].length);
}
