import { describe, expect, it } from "vitest";
import { intervalMicros } from "./interval.js";

const S = 1_000_000;

describe("intervalMicros", () => {
  it.each<[string, number | undefined, number]>([
    ["1 minute", undefined, 60 * S],
    ["5 minutes", undefined, 300 * S],
    [" 1 hour 30 minutes ", undefined, 5400 * S],
    ["90s", undefined, 90 * S],
    ["1h30m", undefined, 5400 * S],
    ["250 ms", undefined, 250_000],
    ["10 us", undefined, 10],
    ["1.5 seconds", undefined, 1.5 * S],
    ["2 days", undefined, 2 * 86_400 * S],
    ["1 week", undefined, 7 * 86_400 * S],
    ["00:01:30", undefined, 90 * S],
    ["1:00", undefined, 3600 * S],
    ["1 day 02:00:00", undefined, 26 * 3600 * S],
    ["00:00:00.5", undefined, 0.5 * S],
    ["PT1M", undefined, 60 * S],
    ["P1DT2H", undefined, 26 * 3600 * S],
    ["30", undefined, 30 * S],
    ["5", 1 << 11, 300 * S],
    ["2", 1 << 10, 7200 * S],
    ["1", 1 << 3, 86_400 * S],
    ["-1 minute", undefined, -60 * S],
  ])("%s (mask %s)", (text, mask, expected) => {
    expect(intervalMicros(text, mask)).toBe(expected);
  });

  it.each([
    ["1 month", "'1 month' is not a fixed duration: a month has no fixed length"],
    ["2 years", "'2 years' is not a fixed duration: a year has no fixed length"],
    ["1 fortnight", "unknown interval unit 'fortnight' in '1 fortnight'"],
    ["soon", "'soon' is not an interval PostgreSQL reads (e.g. '1 minute', '00:01:00')"],
    ["P1M", "'P1M' is not a fixed-length ISO 8601 duration (use W, D, H, M, S)"],
    ["", "'' is an empty interval"],
  ])("rejects %j", (text, message) => {
    expect(intervalMicros(text)).toBe(message);
  });

  it("rejects a bare number whose qualifier is a month or year field", () => {
    expect(intervalMicros("1", 1 << 1)).toBe("the qualifier names a month or year field, not a fixed duration");
  });
});
