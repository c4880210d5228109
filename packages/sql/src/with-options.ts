import { ErrorCode } from "@jetflow/core";
import type { Cursor } from "./cursor.js";
import type { Token } from "./tokenizer.js";

/** One `key = value` of a WITH (...) or ENCODE X (...) list. */
export interface WithOption {
  /** Dotted key, unquoted parts folded to lower case: `scan.startup.mode`. */
  readonly key: string;
  /** The value as written, without its quotes. */
  readonly value: string;
  readonly keyToken: Token;
  readonly valueToken: Token;
}

/**
 * `( key = value, ... )`: keys are dotted names (each part a word or a "quoted identifier", or
 * the whole key a 'string'); values are 'strings', `backtick strings` (as the seed's syntax block
 * writes them), numbers, or bare words. A trailing comma before `)` is accepted, like RisingWave.
 */
export function parseOptionList(cur: Cursor, clause: string): WithOption[] {
  cur.expectSymbol("(", `after ${clause}`);
  const options: WithOption[] = [];
  const seen = new Set<string>();
  while (!cur.takeSymbol(")")) {
    const keyToken = cur.peek();
    const key = parseKey(cur, clause);
    if (seen.has(key))
      throw cur.error(ErrorCode.SqlSyntax, keyToken, `option ${key} is given twice in ${clause} (...)`);
    seen.add(key);
    cur.expectSymbol("=", `after option ${key}`);
    const valueToken = cur.peek();
    options.push({ key, value: parseValue(cur, key), keyToken, valueToken });
    if (!cur.takeSymbol(",") && !cur.isSymbol(")")) {
      // After a secret, what follows may be the rest of an unquoted passphrase: never echo it.
      if (isSecretKey(key)) {
        throw cur.error(
          ErrorCode.SqlSyntax,
          cur.peek(),
          `expected ',' or ')' after option ${key} (quote a value with spaces or symbols: '...')`,
        );
      }
      throw cur.expected(`',' or ')' after option ${key}`);
    }
  }
  return options;
}

function parseKey(cur: Cursor, clause: string): string {
  const first = cur.peek();
  if (first.kind === "string") return cur.next().value;
  const parts: string[] = [];
  do {
    const t = cur.peek();
    if (t.kind !== "ident" && t.kind !== "quoted") {
      throw cur.expected(parts.length === 0 ? `an option name in ${clause} (...)` : "an option name part after '.'");
    }
    parts.push(cur.next().value);
  } while (cur.takeSymbol("."));
  return parts.join(".");
}

function parseValue(cur: Cursor, key: string): string {
  const t = cur.peek();
  switch (t.kind) {
    case "string":
    case "backtick":
    case "number":
      return cur.next().value;
    case "ident": {
      // A bare word keeps its spelling: stream and subject names are case-sensitive.
      const parts = [cur.src.text.slice(t.start, t.end)];
      cur.next();
      while (cur.isSymbol(".") && cur.peek(1).kind === "ident") {
        cur.next();
        const part = cur.next();
        parts.push(cur.src.text.slice(part.start, part.end));
      }
      return parts.join(".");
    }
    case "symbol":
      if ((t.value === "-" || t.value === "+") && cur.peek(1).kind === "number" && cur.peek(1).start === t.end) {
        cur.next();
        return `${t.value === "-" ? "-" : ""}${cur.next().value}`;
      }
      break;
    default:
      break;
  }
  throw cur.expected(`a value for option ${key} ('text', a number or a word)`);
}

/** Options whose values are credentials (`password`, `token`, `jwt`, `nkey`, ...): errors never show what surrounds them. */
export function isSecretKey(key: string): boolean {
  return /(^|[._])(password|passwd|token|jwt|nkey|seed|secret)($|[._])/i.test(key);
}
