import type { ColumnDef } from "@jetflow/core";
import { FlatRow } from "./row-writer.js";

/** {@link FlatColumns.match}: a key that is not a column. */
export const UNKNOWN_KEY = -1;
/** {@link FlatColumns.match}: a key equal to a column name but for ASCII case; the general parser decides. */
export const FOLDED_KEY = -2;

/**
 * The columns a flat reader (JSON or MessagePack) fills, with what it matches keys against:
 * each name as bytes for an exact match, and ASCII-lowercased to notice a case-folded one;
 * and the row it fills, reused message after message.
 */
export class FlatColumns {
  /** 1 for the `varchar` columns, whose text stays UTF-8 bytes. */
  readonly texts: Uint8Array;
  readonly row: FlatRow;
  private readonly names: readonly Uint8Array[];
  private readonly lowerNames: readonly string[];
  /** The column after the last key matched: events usually list their keys in column order, so it is tried first. */
  private next = 0;

  constructor(columns: readonly ColumnDef[]) {
    const encoder = new TextEncoder();
    this.names = columns.map((c) => encoder.encode(c.name));
    this.lowerNames = columns.map((c) => asciiLower(c.name));
    this.texts = Uint8Array.from(columns, (c) => (c.type.kind === "varchar" ? 1 : 0));
    this.row = new FlatRow(columns.length);
  }

  /**
   * Whether a flat reader applies to these columns: not when values must be nested (struct,
   * list), nor when two names differ only in case (one key may then fill both columns).
   */
  static fits(columns: readonly ColumnDef[]): boolean {
    const lower = new Set(columns.map((c) => asciiLower(c.name)));
    return lower.size === columns.length && columns.every((c) => c.type.kind !== "struct" && c.type.kind !== "list");
  }

  /** Starts reading a message: its row is empty, and its first key is tried against the first column first. */
  begin(source: Uint8Array): FlatRow {
    this.next = 0;
    this.row.begin(source);
    return this.row;
  }

  /** The column whose name is the ASCII bytes `start..end`, {@link UNKNOWN_KEY} or {@link FOLDED_KEY}. */
  match(b: Uint8Array, start: number, end: number): number {
    const names = this.names;
    const length = end - start;
    // Names are distinct, so an exact match found first is the only one.
    const guess = this.next;
    if (guess < names.length && sameName(names[guess]!, b, start, length)) {
      this.next = guess + 1;
      return guess;
    }
    for (let c = 0; c < names.length; c++) {
      if (sameName(names[c]!, b, start, length)) {
        this.next = c + 1;
        return c;
      }
    }
    for (let c = 0; c < names.length; c++) {
      const lower = this.lowerNames[c]!;
      if (lower.length !== length) continue;
      let k = 0;
      while (k < length && lower.charCodeAt(k) === lowerByte(b[start + k]!)) k++;
      if (k === length) return FOLDED_KEY;
    }
    return UNKNOWN_KEY;
  }
}

function sameName(name: Uint8Array, b: Uint8Array, start: number, length: number): boolean {
  if (name.length !== length) return false;
  let k = 0;
  while (k < length && name[k] === b[start + k]) k++;
  return k === length;
}

function lowerByte(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** The name with ASCII letters lowercased (other characters kept). */
function asciiLower(name: string): string {
  let out = "";
  for (let k = 0; k < name.length; k++) out += String.fromCharCode(lowerByte(name.charCodeAt(k)));
  return out;
}
