import { InvalidOptionError } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { splitWithOptions } from "./bad-message-policy.js";

describe("splitWithOptions", () => {
  it("defaults to skip and leaves the connector's keys alone", () => {
    expect(splitWithOptions({ connector: "nats", stream: "s" })).toEqual({
      connector: { connector: "nats", stream: "s" },
      policy: { kind: "skip" },
    });
  });

  it("takes the policy keys out", () => {
    const r = splitWithOptions({
      stream: "s",
      "bad_message.policy": "dead_letter",
      "bad_message.dead_letter_subject": "dlq",
    });
    expect(r).toEqual({ connector: { stream: "s" }, policy: { kind: "dead_letter", subject: "dlq" } });
    expect(splitWithOptions({ "bad_message.policy": "fail" }).policy).toEqual({ kind: "fail" });
  });

  it.each([
    [{ "bad_message.policy": "drop" }, "bad_message.policy", /must be one of skip, fail, dead_letter; got 'drop'/],
    [
      { "bad_message.policy": "dead_letter" },
      "bad_message.dead_letter_subject",
      /needs bad_message.dead_letter_subject/,
    ],
    [
      { "bad_message.dead_letter_subject": "x" },
      "bad_message.dead_letter_subject",
      /only valid with bad_message.policy = 'dead_letter'/,
    ],
  ])("rejects %j naming %s", (opts, option, message) => {
    try {
      splitWithOptions(opts);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidOptionError);
      expect((e as InvalidOptionError).option).toBe(option);
      expect((e as Error).message).toMatch(message);
    }
  });
});
