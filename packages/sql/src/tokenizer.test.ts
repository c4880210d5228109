import { describe, expect, it } from "vitest";
import { SourceText } from "./source-text.js";
import { tokenize } from "./tokenizer.js";

const kinds = (text: string) => tokenize(new SourceText(text)).map((t) => [t.kind, t.value]);

describe("tokenize", () => {
  it("folds unquoted identifiers (ASCII only) and keeps quoted ones", () => {
    expect(kinds(`Foo "Bar ""x""" ÉtÉ a$b _x1`)).toEqual([
      ["ident", "foo"],
      ["quoted", 'Bar "x"'],
      ["ident", "ÉtÉ"],
      ["ident", "a$b"],
      ["ident", "_x1"],
      ["eof", ""],
    ]);
  });

  it("reads strings: doubled quotes, E'' escapes, dollar quotes, backticks", () => {
    expect(kinds(`'it''s' E'a\\nb\\'c\\x41\\101' $$x;y$$ $tag$ $$ $tag$ \`back\`\`tick\``)).toEqual([
      ["string", "it's"],
      ["string", "a\nb'cAA"],
      ["string", "x;y"],
      ["string", " $$ "],
      ["backtick", "back`tick"],
      ["eof", ""],
    ]);
  });

  it("reads numbers, parameters and symbols one character at a time", () => {
    expect(kinds("1 2.5 .5 1e10 3.e-2 $1 :: >= ;")).toEqual([
      ["number", "1"],
      ["number", "2.5"],
      ["number", ".5"],
      ["number", "1e10"],
      ["number", "3.e-2"],
      ["param", "$1"],
      ["symbol", ":"],
      ["symbol", ":"],
      ["symbol", ">"],
      ["symbol", "="],
      ["symbol", ";"],
      ["eof", ""],
    ]);
  });

  it("skips line comments and nested block comments", () => {
    expect(kinds("a -- b ; c\n/* d /* e; */ f */ g")).toEqual([
      ["ident", "a"],
      ["ident", "g"],
      ["eof", ""],
    ]);
  });

  it("records UTF-16 offsets", () => {
    const tokens = tokenize(new SourceText("😀 ab"));
    expect(tokens.map((t) => [t.start, t.end])).toEqual([
      [0, 2],
      [3, 5],
      [5, 5],
    ]);
  });
});

describe("SourceText", () => {
  const src = new SourceText("ab\ncé😀d\n");
  it("gives 1-based lines and columns counted in characters", () => {
    expect([0, 2, 3, 5, 7, 8, 9].map((o) => src.position(o))).toEqual([
      { line: 1, column: 1 },
      { line: 1, column: 3 },
      { line: 2, column: 1 },
      { line: 2, column: 3 },
      { line: 2, column: 4 },
      { line: 2, column: 5 },
      { line: 3, column: 1 },
    ]);
  });

  it("maps UTF-8 byte and character offsets back to UTF-16 offsets", () => {
    // c(1 byte) é(2) 😀(4) d
    expect([0, 1, 3, 7].map((b) => src.offsetOfUtf8(3, b))).toEqual([3, 4, 5, 7]);
    expect([0, 1, 2, 3].map((c) => src.offsetOfChars(3, c))).toEqual([3, 4, 5, 7]);
  });
});
