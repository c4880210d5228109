import { InvalidOptionError } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { splitWithOptions } from "./bad-message-policy.js";
import {
  PARTITION_COUNT_KEY,
  PARTITION_TOKEN_KEY,
  partitionCountOption,
  partitionShareOptions,
  partitionTokenOf,
} from "./partition-token.js";

describe("group.partition_token", () => {
  it("is the 1-based index of a '*' token of every subject", () => {
    expect(partitionTokenOf({ subject: "orders.*.*" })).toBeUndefined();
    expect(partitionTokenOf({ subject: "orders.*.*", [PARTITION_TOKEN_KEY]: "2" })).toBe(2);
    expect(partitionTokenOf({ subject: "a.*.x, b.*.>", [PARTITION_TOKEN_KEY]: " 2 " })).toBe(2);
  });

  it.each([
    [{ subject: "orders.*.*", [PARTITION_TOKEN_KEY]: "0" }, /must be a whole number >= 1 .* got '0'/],
    [{ subject: "orders.*.*", [PARTITION_TOKEN_KEY]: "1.5" }, /must be a whole number >= 1/],
    [{ subject: "orders.*.*", [PARTITION_TOKEN_KEY]: "two" }, /must be a whole number >= 1/],
    [
      { subject: "orders.*.*", [PARTITION_TOKEN_KEY]: "1" },
      /needs a '\*' at token 1 of subject 'orders.\*.\*'.*found 'orders'/,
    ],
    [{ subject: "orders.*", [PARTITION_TOKEN_KEY]: "3" }, /found no such token/],
  ])("rejects %j naming the option", (opts, message) => {
    try {
      partitionTokenOf(opts);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidOptionError);
      expect((e as InvalidOptionError).option).toBe(PARTITION_TOKEN_KEY);
      expect((e as Error).message).toMatch(message);
    }
  });

  it("is validated and left out of the connector's keys in one process", () => {
    const r = splitWithOptions({ stream: "s", subject: "orders.*.*", [PARTITION_TOKEN_KEY]: "2" });
    expect(r.connector).toEqual({ stream: "s", subject: "orders.*.*" });
    expect(() => splitWithOptions({ subject: "orders.x.*", [PARTITION_TOKEN_KEY]: "2" })).toThrow(InvalidOptionError);
  });

  it("rewrites the token to a partition's number and drops the key", () => {
    expect(partitionShareOptions({ stream: "s", subject: "orders.*.*", [PARTITION_TOKEN_KEY]: "2" }, 2, 3)).toEqual({
      stream: "s",
      subject: "orders.3.*",
    });
    expect(partitionShareOptions({ subject: "a.*.x,b.*.>" }, 2, 0)).toEqual({ subject: "a.0.x,b.0.>" });
    // The partitions' consumers filter on different subjects: a named one gets a name per partition.
    expect(partitionShareOptions({ subject: "o.*", "consumer.durable_name": "d", "consumer.name": "d" }, 2, 1)).toEqual(
      {
        subject: "o.1",
        "consumer.durable_name": "d_p1",
        "consumer.name": "d_p1",
      },
    );
  });
});

describe("group.partition_count", () => {
  const base = { subject: "orders.*", [PARTITION_TOKEN_KEY]: "2" };
  it("is a whole number >= 1 beside group.partition_token, dropped from a partition's share", () => {
    expect(partitionCountOption(base)).toBeUndefined();
    expect(partitionCountOption({ ...base, [PARTITION_COUNT_KEY]: " 8 " })).toBe(8);
    expect(partitionShareOptions({ ...base, [PARTITION_COUNT_KEY]: "8" }, 2, 3)).toEqual({ subject: "orders.3" });
    expect(splitWithOptions({ ...base, [PARTITION_COUNT_KEY]: "8" }).connector).toEqual({ subject: "orders.*" });
  });

  it.each([
    [{ ...base, [PARTITION_COUNT_KEY]: "0" }, /must be a whole number >= 1 .* got '0'/],
    [{ ...base, [PARTITION_COUNT_KEY]: "x" }, /must be a whole number >= 1/],
    [{ subject: "orders.*", [PARTITION_COUNT_KEY]: "4" }, /needs group.partition_token/],
  ])("rejects %j naming the option", (opts, message) => {
    try {
      partitionCountOption(opts);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidOptionError);
      expect((e as InvalidOptionError).option).toBe(PARTITION_COUNT_KEY);
      expect((e as Error).message).toMatch(message);
    }
  });
});
