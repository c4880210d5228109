import { isLong, LONG_NUMBER_SENTINEL } from "./wide-numbers.js";

/**
 * Canonical JSON text for `jsonb` columns: `JSON.stringify` of the value (no whitespace, keys
 * in the order the JS object holds them), with number literals too long for a double kept
 * digit for digit.
 */

const SENTINEL_JSON = JSON.stringify(LONG_NUMBER_SENTINEL).slice(1, -1);
const SENTINEL_STRING = new RegExp(`"${SENTINEL_JSON.replaceAll("\\", "\\\\")}([^"]*)"`, "g");

/** Text of a value built by `JSON.parse` (long literals arrive as `LongNumber`s). */
export function jsonTextOfParsed(value: unknown): string {
  return restoreLongNumbers(JSON.stringify(value));
}

/**
 * Text of any decoded value (MessagePack, protobuf): BigInts and 64-bit Longs become exact
 * number literals, binary becomes a base64 string, dates ISO-8601 strings.
 */
export function jsonTextOfValue(value: unknown): string {
  return restoreLongNumbers(JSON.stringify(value, replaceNonJson));
}

function restoreLongNumbers(text: string): string {
  return text.includes(SENTINEL_JSON) ? text.replace(SENTINEL_STRING, "$1") : text;
}

function replaceNonJson(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (typeof raw === "bigint") return LONG_NUMBER_SENTINEL + raw.toString();
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString("base64");
  if (typeof raw === "object" && raw !== null && isLong(raw)) return LONG_NUMBER_SENTINEL + raw.toString();
  return value;
}
