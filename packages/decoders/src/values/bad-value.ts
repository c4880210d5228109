import { isLong, LongNumber } from "./wide-numbers.js";

/**
 * Thrown by a column writer when a value breaks the column's rule. Not an `Error`: it carries
 * no stack (bad messages can be frequent) and never leaves the decoder, which turns it into
 * a {@link BadMessage}.
 */
export class BadValue {
  constructor(readonly reason: string) {}
}

/** `column "a.b": <rule>, got <value>` — the reason text of a bad value. */
export function badValue(path: string, rule: string, value: unknown): BadValue {
  return new BadValue(`column "${path}": ${rule}, got ${describe(value)}`);
}

const MAX_SHOWN = 40;

/** A short description of a decoded value for error messages: its kind and a clipped rendering. */
export function describe(value: unknown): string {
  switch (typeof value) {
    case "string":
      return `string ${clip(JSON.stringify(value))}`;
    case "number":
    case "boolean":
      return `${typeof value} ${value}`;
    case "bigint":
      return `integer ${value}`;
    case "object":
      if (value === null) return "null";
      if (Array.isArray(value)) return "array";
      if (value instanceof Uint8Array) return `binary (${value.length} bytes)`;
      if (value instanceof Date)
        return `timestamp ${Number.isNaN(value.getTime()) ? "(invalid)" : value.toISOString()}`;
      if (isLong(value)) return `integer ${value.toString()}`;
      if (value instanceof LongNumber) return `number ${clip(value.text)}`;
      return "object";
    default:
      return typeof value;
  }
}

function clip(text: string): string {
  return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN)}...`;
}
