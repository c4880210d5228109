/** Reads one field of a decoded object; undefined when absent. */
export interface FieldReader {
  get(object: Readonly<Record<string, unknown>>): unknown;
}

/**
 * How a column finds its field in a decoded object, following RisingWave's JSON access: the
 * exact key first; otherwise the first key (in the object's order) equal to the column name
 * ignoring ASCII case. `{"UserId": 1}` fills column `userid`; with both `userid` and `UserId`
 * present, the exact `userid` wins.
 */
export class FieldKey implements FieldReader {
  /** Names that objects inherit (`constructor`, `toString`, ...) must be own keys to count. */
  private readonly inherited: boolean;

  constructor(readonly name: string) {
    this.inherited = name in Object.prototype;
  }

  /** The field's value in `object`, or undefined when absent. */
  get(object: Readonly<Record<string, unknown>>): unknown {
    const exact = object[this.name];
    if (exact !== undefined && (!this.inherited || Object.hasOwn(object, this.name))) return exact;
    const name = this.name;
    for (const key in object) {
      if (key.length === name.length && equalsIgnoreAsciiCase(key, name) && Object.hasOwn(object, key)) {
        return object[key];
      }
    }
    return undefined;
  }
}

/** ASCII-only case folding, like Rust's `eq_ignore_ascii_case` (no Unicode folding). */
export function equalsIgnoreAsciiCase(a: string, b: string): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const lx = x | 0x20;
    if (lx !== (y | 0x20) || lx < 97 || lx > 122) return false;
  }
  return true;
}

/**
 * A field that is absent unless the object has it as an own property: protobuf fields with
 * explicit presence (proto3 `optional`, oneof members), whose protobufjs prototype default
 * (e.g. a zero Long for an int64) must read as NULL, not as a value.
 */
export class OwnField implements FieldReader {
  constructor(readonly name: string) {}

  get(object: Readonly<Record<string, unknown>>): unknown {
    return Object.hasOwn(object, this.name) ? object[this.name] : undefined;
  }
}
