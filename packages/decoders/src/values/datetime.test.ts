import { describe, expect, test } from "vitest";
import { daysFromCivil, epochMicros, epochMicrosBig, parseDate, parseTime, parseTimestamp } from "./datetime.js";

const isoMicros = (iso: string) => Date.parse(iso) * 1000;

describe("daysFromCivil", () => {
  test("matches Date for a spread of days", () => {
    for (const iso of ["1970-01-01", "2000-02-29", "1969-12-31", "1600-03-01", "2400-12-31", "0001-01-01"]) {
      const [y, m, d] = iso.split("-").map(Number) as [number, number, number];
      expect(daysFromCivil(y, m, d)).toBe(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
    }
  });
});

describe("parseDate", () => {
  test("reads YYYY-MM-DD and checks the calendar", () => {
    expect(parseDate("1970-01-02")).toBe(1);
    expect(parseDate("2024-02-29")).toBe(19782);
    expect(parseDate("2023-02-29")).toBeUndefined();
    expect(parseDate("2024-13-01")).toBeUndefined();
    expect(parseDate("2024-01-01T00:00:00")).toBeUndefined();
    expect(parseDate("yesterday")).toBeUndefined();
  });
});

describe("parseTime", () => {
  test("reads HH:MM[:SS[.f]] up to 24:00:00", () => {
    expect(parseTime("00:00")).toBe(0);
    expect(parseTime("01:02:03")).toBe(3_723_000_000);
    expect(parseTime("01:02:03.000004")).toBe(3_723_000_004);
    expect(parseTime("23:59:59.9999995")).toBe(86_400_000_000);
    expect(parseTime("24:00:00")).toBe(86_400_000_000);
    expect(parseTime("24:00:01")).toBeUndefined();
    expect(parseTime("12:60")).toBeUndefined();
    expect(parseTime("noon")).toBeUndefined();
  });
});

describe("parseTimestamp", () => {
  test("applies zones for timestamptz and reads zone-less text as UTC", () => {
    expect(parseTimestamp("2024-01-01T00:00:00Z", "apply")).toBe(isoMicros("2024-01-01T00:00:00Z"));
    expect(parseTimestamp("2024-01-01 00:00:00", "apply")).toBe(isoMicros("2024-01-01T00:00:00Z"));
    expect(parseTimestamp("2024-01-01T02:00:00+02:00", "apply")).toBe(isoMicros("2024-01-01T00:00:00Z"));
    expect(parseTimestamp("2024-01-01T02:00:00+0200", "apply")).toBe(isoMicros("2024-01-01T00:00:00Z"));
    expect(parseTimestamp("2023-12-31T22:00:00-02", "apply")).toBe(isoMicros("2024-01-01T00:00:00Z"));
    expect(parseTimestamp("2024-01-01", "apply")).toBe(isoMicros("2024-01-01T00:00:00Z"));
    expect(parseTimestamp("2024-01-01T00:00:00.123456Z", "apply")).toBe(isoMicros("2024-01-01T00:00:00Z") + 123456);
  });

  test("keeps the wall-clock time for timestamp", () => {
    expect(parseTimestamp("2024-01-01T02:00:00+02:00", "ignore")).toBe(isoMicros("2024-01-01T02:00:00Z"));
  });

  test("refuses impossible dates and times", () => {
    expect(parseTimestamp("2024-02-30T00:00:00Z", "apply")).toBeUndefined();
    expect(parseTimestamp("2024-01-01T25:00:00Z", "apply")).toBeUndefined();
    expect(parseTimestamp("2024-01-01T00:00:00+16:00", "apply")).toBeUndefined();
    expect(parseTimestamp("not a time", "apply")).toBeUndefined();
  });

  test("years beyond 2^53 microseconds come back as BigInt", () => {
    expect(parseTimestamp("9999-12-31T23:59:59.999999Z", "apply")).toBe(253402300799999999n);
    expect(parseTimestamp("1000-01-01T00:00:00Z", "apply")).toBe(BigInt(Date.UTC(1000, 0, 1)) * 1000n);
  });
});

describe("epochMicros", () => {
  test("guesses the unit from the magnitude like RisingWave", () => {
    expect(epochMicros(1_700_000_000, "guess")).toBe(1_700_000_000_000_000);
    expect(epochMicros(1_700_000_000_123, "guess")).toBe(1_700_000_000_123_000);
    expect(epochMicros(1_700_000_000_123_456, "guess")).toBe(1_700_000_000_123_456);
    expect(epochMicros(1.7e18 + 123_456_789, "guess")).toBe(Math.trunc((1.7e18 + 123_456_789) / 1000));
    expect(epochMicros(-1_000, "guess")).toBe(-1_000_000_000);
    expect(epochMicros(1_700_000_000.25, "guess")).toBe(1_700_000_000_250_000);
  });

  test("a fixed unit is taken as is", () => {
    expect(epochMicros(5, "milli")).toBe(5000);
    expect(epochMicros(5, "micro")).toBe(5);
    expect(epochMicros(Number.NaN, "micro")).toBeUndefined();
  });

  test("BigInt epochs keep every digit", () => {
    expect(epochMicrosBig(1_700_000_000_123_456_789n, "guess")).toBe(1_700_000_000_123_456n);
    expect(epochMicrosBig(1_700_000_000n, "guess")).toBe(1_700_000_000_000_000n);
  });
});
