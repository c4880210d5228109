/**
 * Why a subject filter is malformed, or undefined when it is fine: tokens separated by `.`,
 * none empty, no whitespace, `*` and `>` only as whole tokens and `>` only last.
 *
 * @example
 * ```ts
 * subjectProblem("orders.>"); // undefined
 * subjectProblem("orders..x"); // "has an empty token"
 * ```
 */
export function subjectProblem(subject: string): string | undefined {
  if (subject.length === 0) return "is empty";
  if (/\s/.test(subject)) return "contains whitespace";
  const tokens = subject.split(".");
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.length === 0) return "has an empty token";
    if (t !== "*" && t !== ">" && (t.includes("*") || t.includes(">"))) {
      return `uses a wildcard inside the token '${t}' (wildcards must be whole tokens)`;
    }
    if (t === ">" && i !== tokens.length - 1) return "has '>' before the last token";
  }
  return undefined;
}

/**
 * True when some subject matches both filters (e.g. `a.*` and `a.b`, or `a.>` and `a.b.c`):
 * two consumers with such filters would deliver the same message twice.
 *
 * @example
 * ```ts
 * subjectsOverlap("a.*", "a.b"); // true
 * subjectsOverlap("a.*", "b.*"); // false
 * ```
 */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split(".");
  const y = b.split(".");
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const s = x[i]!;
    const t = y[i]!;
    // `>` matches one or more remaining tokens, and the other filter has at least one here.
    if (s === ">" || t === ">") return true;
    if (s !== "*" && t !== "*" && s !== t) return false;
  }
  return x.length === y.length;
}

/**
 * True when the concrete `subject` matches the `filter` (`*` one token, `>` one or more).
 *
 * @example
 * ```ts
 * subjectMatches("orders.*", "orders.new"); // true
 * subjectMatches("orders.>", "orders"); // false
 * ```
 */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split(".");
  const s = subject.split(".");
  for (let i = 0; i < f.length; i++) {
    const t = f[i]!;
    if (t === ">") return s.length > i;
    if (i >= s.length || (t !== "*" && t !== s[i])) return false;
  }
  return f.length === s.length;
}
