import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { subjectProblem, subjectsOverlap } from "./subjects.js";

/** Does a concrete subject match a filter? (the NATS rules, written plainly) */
function matches(filter: string, subject: string): boolean {
  const f = filter.split(".");
  const s = subject.split(".");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== "*" && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

describe("subjects", () => {
  it("validates filters", () => {
    expect(subjectProblem("a.*.c")).toBeUndefined();
    expect(subjectProblem(">")).toBeUndefined();
    expect(subjectProblem("a.>.c")).toContain("'>'");
    expect(subjectProblem(".a")).toContain("empty token");
  });

  it("overlap means some subject matches both filters (property)", () => {
    const token = fc.constantFrom("a", "b", "*");
    const filter = fc
      .tuple(fc.array(token, { minLength: 1, maxLength: 3 }), fc.boolean())
      .map(([ts, tail]) => [...ts, ...(tail ? [">"] : [])].join("."));
    fc.assert(
      fc.property(filter, filter, (x, y) => {
        const overlap = subjectsOverlap(x, y);
        expect(subjectsOverlap(y, x)).toBe(overlap);
        // Exhaustive over short concrete subjects: "c" stands for any token neither filter names.
        let witness = false;
        for (const s of allSubjects(5)) if (matches(x, s) && matches(y, s)) witness = true;
        expect(overlap).toBe(witness);
      }),
    );
  });
});

function allSubjects(maxLen: number): string[] {
  const out: string[] = [];
  let level = [""];
  for (let n = 1; n <= maxLen; n++) {
    level = level.flatMap((p) => ["a", "b", "c"].map((t) => (p === "" ? t : `${p}.${t}`)));
    out.push(...level);
  }
  return out;
}
