import type { PayloadParser } from "../batch-decoder.js";
import { LONG_NUMBER_SENTINEL, LongNumber } from "../values/wide-numbers.js";

/**
 * JSON payloads to JS values without losing digits. `JSON.parse` reads every number as a
 * double, so `9007199254740993` would silently become `...992`. A payload holding a run of
 * 16+ digits/dots is lexed first, and each number literal a double cannot hold exactly
 * (more than 15 significant digits, unless it is a safe integer) is handed to `JSON.parse`
 * as a placeholder string and comes back as a {@link LongNumber} with its exact text.
 * Other payloads (the usual case) cost one cheap probe on top of `JSON.parse`.
 */
export class PreciseJsonParser implements PayloadParser {
  private readonly utf8 = new TextDecoder("utf-8", { fatal: true });

  parse(payload: Uint8Array): unknown {
    const text = this.utf8.decode(payload);
    if (hasLongDigitRun(payload)) {
      const protectedText = protectLongNumbers(text);
      if (protectedText !== undefined) return JSON.parse(protectedText, reviveLongNumber);
    }
    return JSON.parse(text);
  }
}

const RUN = 16;

function isNumberByte(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46;
}

/**
 * True when the bytes hold 16 consecutive digits or dots. Any such run covers one of every
 * 16th position, so only those are probed and expanded: ~n/16 reads for the usual payload.
 */
export function hasLongDigitRun(bytes: Uint8Array): boolean {
  const n = bytes.length;
  for (let i = RUN - 1; i < n; i += RUN) {
    if (!isNumberByte(bytes[i]!)) continue;
    let start = i;
    while (start > 0 && isNumberByte(bytes[start - 1]!)) start--;
    let end = i + 1;
    while (end < n && end - start < RUN && isNumberByte(bytes[end]!)) end++;
    if (end - start >= RUN) return true;
  }
  return false;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const PLACEHOLDER_PREFIX = `"${JSON.stringify(LONG_NUMBER_SENTINEL).slice(1, -1)}`;

/** True for a valid JSON number literal that a double does not hold exactly. */
function needsProtection(literal: string): boolean {
  let digits = 0;
  let integer = true;
  for (let i = 0; i < literal.length; i++) {
    const c = literal.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 101 || c === 69) {
      integer = false;
      break;
    } else if (c === 46) integer = false;
  }
  if (digits <= 15) return false;
  if (integer && Number.isSafeInteger(Number(literal))) return false;
  return JSON_NUMBER.test(literal);
}

/**
 * Rewrites the long number literals of JSON text as placeholder strings; undefined when
 * there are none. Strings are skipped (their digits are not numbers).
 */
export function protectLongNumbers(text: string): string | undefined {
  let out = "";
  let copied = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // Skip a string literal, honouring escapes.
      i++;
      while (i < n) {
        const s = text.charCodeAt(i);
        if (s === 92) i += 2;
        else if (s === 34) {
          i++;
          break;
        } else i++;
      }
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const start = i;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) i++;
        else break;
      }
      const literal = text.slice(start, i);
      if (needsProtection(literal)) {
        out += `${text.slice(copied, start)}${PLACEHOLDER_PREFIX}${literal}"`;
        copied = i;
      }
    } else {
      i++;
    }
  }
  return copied === 0 ? undefined : out + text.slice(copied);
}

function reviveLongNumber(_key: string, value: unknown): unknown {
  return typeof value === "string" && value.startsWith(LONG_NUMBER_SENTINEL)
    ? new LongNumber(value.slice(LONG_NUMBER_SENTINEL.length))
    : value;
}
