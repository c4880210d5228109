import { describe, expect, test } from "vitest";
import { parseInterval } from "./interval.js";

const H = 3_600_000_000;

describe("parseInterval", () => {
  test.each([
    ["1 day", { months: 0, days: 1, micros: 0 }],
    ["1 year 2 mons 3 days 04:05:06.5", { months: 14, days: 3, micros: 4 * H + 5 * 60_000_000 + 6_500_000 }],
    ["3 hours ago", { months: 0, days: 0, micros: -3 * H }],
    ["@ 90 minutes", { months: 0, days: 0, micros: 1.5 * H }],
    ["1.5 days", { months: 0, days: 1, micros: 12 * H }],
    ["1.5 months", { months: 1, days: 15, micros: 0 }],
    ["1.5 years", { months: 18, days: 0, micros: 0 }],
    ["2 weeks", { months: 0, days: 14, micros: 0 }],
    ["-1 days +02:00:00", { months: 0, days: -1, micros: 2 * H }],
    ["10", { months: 0, days: 0, micros: 10_000_000 }],
    ["5s", { months: 0, days: 0, micros: 5_000_000 }],
    ["250 ms", { months: 0, days: 0, micros: 250_000 }],
    ["1 decade", { months: 120, days: 0, micros: 0 }],
    ["P1Y2M3DT4H5M6.5S", { months: 14, days: 3, micros: 4 * H + 5 * 60_000_000 + 6_500_000 }],
    ["PT0.5S", { months: 0, days: 0, micros: 500_000 }],
    ["-P1D", { months: 0, days: -1, micros: 0 }],
    ["P2W", { months: 0, days: 14, micros: 0 }],
  ])("%s", (text, expected) => {
    expect(parseInterval(text)).toEqual(expected);
  });

  test.each(["", "P", "PT", "1 fortnight", "day", "ago", "1 day ago extra", "12:75", "P1X"])("refuses %j", (text) => {
    expect(parseInterval(text)).toBeUndefined();
  });
});
