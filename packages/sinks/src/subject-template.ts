import { InvalidOptionError } from "@jetflow/core";
import { escapeToken } from "./key-escape.js";

/**
 * A sink `subject`, possibly with `{column}` parts: `orders.{region}` publishes each row on
 * `orders.` + the row's region, made subject-safe by {@link escapeToken} (`.`, `*`, `>`, spaces
 * and other bytes become `=XX`, NULL `==`, the empty string `=`), so one value is one token.
 */
export interface SubjectTemplate {
  readonly text: string;
  /** Literal text and column references, alternating from a literal (possibly empty). */
  readonly parts: readonly string[];
  /** The columns referenced, in order of `parts` (odd indexes). */
  readonly columns: readonly string[];
  /** The subjects it can produce, as one filter: each token holding a `{column}` becomes `*`. */
  readonly filter: string;
}

/**
 * Parses a sink subject. @throws InvalidOptionError (`subject`) for wildcards, empty tokens or an unclosed `{`
 * @example
 * ```ts
 * parseSubjectTemplate("orders.{region}").filter; // "orders.*"
 * ```
 */
export function parseSubjectTemplate(text: string): SubjectTemplate {
  const subject = text.trim();
  const parts: string[] = [];
  const columns: string[] = [];
  let rest = subject;
  for (;;) {
    const open = rest.indexOf("{");
    if (open < 0) break;
    const close = rest.indexOf("}", open);
    const column = close < 0 ? "" : rest.slice(open + 1, close).trim();
    if (close < 0 || column === "" || column.includes("{")) {
      throw new InvalidOptionError("subject", `subject '${text}' has a '{' without a column name and '}' after it`);
    }
    parts.push(rest.slice(0, open), column);
    columns.push(column);
    rest = rest.slice(close + 1);
  }
  parts.push(rest);
  const tokens = subject.split(".");
  if (tokens.some((t) => t === "" || /\s/.test(t))) {
    throw new InvalidOptionError(
      "subject",
      `subject '${text}' must be tokens separated by '.', without empty tokens or spaces`,
    );
  }
  if (tokens.some((t) => t === "*" || t === ">")) {
    throw new InvalidOptionError(
      "subject",
      `subject '${text}' must not hold wildcards ('*', '>'): a sink publishes to one subject per row`,
    );
  }
  const filter = tokens.map((t) => (t.includes("{") ? "*" : t)).join(".");
  return { text: subject, parts, columns, filter };
}

/** The subject of one row, from the text of its `{column}` values (null for NULL). */
export function fillSubject(template: SubjectTemplate, values: readonly (string | null)[]): string {
  if (template.columns.length === 0) return template.text;
  let out = template.parts[0] as string;
  for (let i = 0; i < template.columns.length; i++)
    out += escapeToken(values[i] ?? null) + (template.parts[2 * i + 2] as string);
  return out;
}
