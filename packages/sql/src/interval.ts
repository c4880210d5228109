/** Microseconds per unit of every fixed-length interval unit PostgreSQL accepts, by spelling. */
const UNIT_US: Readonly<Record<string, number>> = {};
const units: [number, string[]][] = [
  [1, ["microsecond", "microseconds", "us", "usec", "usecs", "useconds"]],
  [1_000, ["millisecond", "milliseconds", "ms", "msec", "msecs", "mseconds"]],
  [1_000_000, ["second", "seconds", "s", "sec", "secs"]],
  [60_000_000, ["minute", "minutes", "m", "min", "mins"]],
  [3_600_000_000, ["hour", "hours", "h", "hr", "hrs"]],
  [86_400_000_000, ["day", "days", "d"]],
  [604_800_000_000, ["week", "weeks", "w"]],
];
for (const [us, names] of units) for (const n of names) (UNIT_US as Record<string, number>)[n] = us;

/** Units whose length varies (a month is 28 to 31 days): not a fixed window size. */
const VARIABLE_UNITS = new Set([
  "month",
  "months",
  "mon",
  "mons",
  "year",
  "years",
  "y",
  "yr",
  "yrs",
  "decade",
  "decades",
  "century",
  "centuries",
  "millennium",
  "millennia",
]);

/**
 * PostgreSQL's `interval` typmod field bits (INTERVAL_MASK), for `INTERVAL '5' MINUTE`: the
 * unit of a bare number is the smallest field of the qualifier.
 */
const FIELD_BITS: readonly [number, number][] = [
  [12, 1_000_000], // SECOND
  [11, 60_000_000], // MINUTE
  [10, 3_600_000_000], // HOUR
  [3, 86_400_000_000], // DAY
];

/**
 * Reads a fixed-length interval literal as PostgreSQL writes it, in microseconds:
 * `'1 minute'`, `'1 hour 30 minutes'`, `'90s'`, `'00:01:30'`, `'1 day 02:00:00'`, `'PT1M'`,
 * or a bare number with a field qualifier (`INTERVAL '5' MINUTE`).
 *
 * @param fieldMask the typmod of `INTERVAL 'n' UNIT`, when there is one
 * @returns microseconds, or a string saying what is wrong
 * @example intervalMicros("1 minute") // 60_000_000
 */
export function intervalMicros(text: string, fieldMask?: number): number | string {
  const input = text.trim().toLowerCase();
  if (/^[+-]?\d+(\.\d+)?$/.test(input)) {
    const unit = fieldMask === undefined ? 1_000_000 : FIELD_BITS.find(([bit]) => (fieldMask & (1 << bit)) !== 0)?.[1];
    if (unit === undefined) return "the qualifier names a month or year field, not a fixed duration";
    return Math.round(Number(input) * unit);
  }
  const iso =
    /^p(?:(\d+(?:\.\d+)?)w)?(?:(\d+(?:\.\d+)?)d)?(?:t(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?)?$/.exec(
      input,
    );
  if (iso !== null && input !== "p" && input !== "pt") {
    const [, w, d, h, m, s] = iso;
    return Math.round(
      Number(w ?? 0) * UNIT_US["w"]! +
        Number(d ?? 0) * UNIT_US["d"]! +
        Number(h ?? 0) * UNIT_US["h"]! +
        Number(m ?? 0) * UNIT_US["m"]! +
        Number(s ?? 0) * UNIT_US["s"]!,
    );
  }
  if (/^p/.test(input)) return `'${text}' is not a fixed-length ISO 8601 duration (use W, D, H, M, S)`;
  let total = 0;
  let any = false;
  const re = /\s*(?:([+-]?\d+(?:\.\d+)?)\s*([a-z]+)|([+-]?\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?)\s*/gy;
  let at = 0;
  while (at < input.length) {
    re.lastIndex = at;
    const m = re.exec(input);
    if (m === null) return `'${text}' is not an interval PostgreSQL reads (e.g. '1 minute', '00:01:00')`;
    at = re.lastIndex;
    any = true;
    if (m[2] !== undefined) {
      const unit = UNIT_US[m[2]];
      if (unit === undefined) {
        return VARIABLE_UNITS.has(m[2])
          ? `'${text}' is not a fixed duration: a ${m[2].replace(/s$/, "")} has no fixed length`
          : `unknown interval unit '${m[2]}' in '${text}'`;
      }
      total += Number(m[1]) * unit;
    } else {
      const sign = (m[3] as string).startsWith("-") ? -1 : 1;
      const hours = Math.abs(Number(m[3]));
      total += sign * (hours * UNIT_US["h"]! + Number(m[4]) * UNIT_US["m"]! + Number(m[5] ?? 0) * UNIT_US["s"]!);
    }
  }
  if (!any) return `'${text}' is an empty interval`;
  return Math.round(total);
}
