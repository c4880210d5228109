import { ErrorCode, InvalidOptionError, JetflowError } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { errorFromData, errorToData } from "./error-transfer.js";
import { ConsumerFailedError, StreamNotFoundError } from "./errors.js";

const across = (e: unknown) => errorFromData(structuredClone(errorToData(e)));

describe("errors between threads", () => {
  it("keep their class, code, message and fields", () => {
    const e = across(new StreamNotFoundError("ORDERS", "stream 'ORDERS' not found"));
    expect(e).toBeInstanceOf(StreamNotFoundError);
    expect(e).toBeInstanceOf(JetflowError);
    expect(e).toMatchObject({ name: "StreamNotFoundError", code: ErrorCode.StreamNotFound, stream: "ORDERS" });
    expect(e.message).toBe("stream 'ORDERS' not found");
    const o = across(new InvalidOptionError("subject", "subject must not be empty"));
    expect(o).toBeInstanceOf(InvalidOptionError);
    expect(o).toMatchObject({ option: "subject", code: ErrorCode.InvalidOption });
  });

  it("keep their cause; an unknown class comes back as an Error with its message", () => {
    const e = across(new ConsumerFailedError("orders.*", "consumer failed", { cause: new TypeError("boom") }));
    expect(e).toBeInstanceOf(ConsumerFailedError);
    expect((e.cause as Error).message).toBe("boom");
    class Odd extends Error {}
    const odd = across(new Odd("odd"));
    expect(odd).toBeInstanceOf(Error);
    expect(odd.message).toBe("odd");
    expect(across("text").message).toBe("text");
  });
});
