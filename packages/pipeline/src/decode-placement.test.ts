import { InvalidOptionError } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { decodesInReaders, resolveDecodeIn } from "./decode-placement.js";

describe("decodesInReaders", () => {
  it("auto: decodes in the readers once two or more reader threads read, by inputs or by partitions", () => {
    expect(decodesInReaders("auto", 2, 1, 4, 8)).toBe(true);
    expect(decodesInReaders("auto", 4, 2, 1, 8)).toBe(true);
    expect(decodesInReaders("auto", 7, 3, 2, 8)).toBe(true);
    expect(decodesInReaders("auto", 3, 1, 4, 4)).toBe(true); // 3 readers + this thread on 4 cores
  });
  it("auto: keeps decoding here while one reader thread reads everything", () => {
    expect(decodesInReaders("auto", 1, 3, 4, 8)).toBe(false); // one thread: it would do all the decoding
    expect(decodesInReaders("auto", 4, 1, 1, 8)).toBe(false); // one input, one consumer: one thread busy
  });
  it("auto: keeps decoding here when the busy readers and this thread have no core each", () => {
    expect(decodesInReaders("auto", 2, 1, 4, 2)).toBe(false); // 2 readers + this thread on 2 cores
    expect(decodesInReaders("auto", 4, 1, 4, 4)).toBe(false); // 4 readers + this thread on 4 cores
  });
  it("reader and main decide for every input; without reader threads decoding is here", () => {
    expect(decodesInReaders("reader", 1, 1, 1, 2)).toBe(true);
    expect(decodesInReaders("main", 8, 4, 4, 16)).toBe(false);
    expect(decodesInReaders("reader", 0, 2, 2, 8)).toBe(false);
  });
});

describe("resolveDecodeIn", () => {
  it("the environment variable over the option over auto", () => {
    expect(resolveDecodeIn(undefined, {})).toBe("auto");
    expect(resolveDecodeIn("main", {})).toBe("main");
    expect(resolveDecodeIn("main", { JETFLOW_DECODE_IN: "reader" })).toBe("reader");
    expect(resolveDecodeIn("reader", { JETFLOW_DECODE_IN: "" })).toBe("reader");
  });
  it("another value is an InvalidOptionError naming where it came from", () => {
    let e: unknown;
    try {
      resolveDecodeIn(undefined, { JETFLOW_DECODE_IN: "worker" });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(InvalidOptionError);
    expect(e).toMatchObject({
      option: "JETFLOW_DECODE_IN",
      message: expect.stringMatching(/auto, reader, main, got 'worker'/),
    });
    expect(() => resolveDecodeIn("elsewhere", {})).toThrow(/decodeIn must be one of auto, reader, main/);
  });
});
