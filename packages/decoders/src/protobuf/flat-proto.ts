import { isUtf8 } from "node:buffer";
import type { ColumnDef } from "@jetflow/core";
import protobuf from "protobufjs";
import { hasHighByte } from "../ascii.js";
import { FlatRow, type LongConstructor } from "../row-writer.js";
import { findField } from "./proto-plan.js";

/** Scalar field types the reader decodes, with their wire type. */
const WIRE: Readonly<Record<string, number>> = {
  double: 1,
  float: 5,
  int32: 0,
  uint32: 0,
  sint32: 0,
  fixed32: 5,
  sfixed32: 5,
  int64: 0,
  uint64: 0,
  sint64: 0,
  fixed64: 1,
  sfixed64: 1,
  bool: 0,
  string: 2,
};

const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;
const utf8 = new TextDecoder();
const scratch = new Uint8Array(8);
const scratch32 = new Float32Array(scratch.buffer, 0, 1);
const scratch64 = new Float64Array(scratch.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One column's field, as the reader decodes it. */
interface Slot {
  readonly id: number;
  readonly column: number;
  readonly type: string;
  /** `type` as a {@link TYPE_CODE}, for the per-field switch. */
  readonly code: number;
  readonly wire: number;
  /** A set value equal to the default is deleted (protobufjs), so the prototype's default is read. */
  readonly implicit: boolean;
  /** What the message's prototype holds for the field: the value of an unset field. */
  readonly unset: unknown;
  readonly text: boolean;
}

/** A small number per scalar type, so reading a field switches on an integer, not on its type's name. */
const TYPE = {
  string: 0,
  double: 1,
  float: 2,
  bool: 3,
  int32: 4,
  uint32: 5,
  sint32: 6,
  fixed32: 7,
  sfixed32: 8,
  int64: 9,
  uint64: 10,
  sint64: 11,
  fixed64: 12,
  sfixed64: 13,
} as const;
const TYPE_CODE: Readonly<Record<string, number>> = TYPE;

/** Thrown inside the reader when the payload needs protobufjs; caught in `read`. */
const GENERAL = Symbol("general");
/** `value()`: a non-empty string, its bytes from `textStart` to `pos`. */
const TEXT = Symbol("text");
/** `value()`: a number, in `number` (not boxed). */
const NUMBER = Symbol("number");
/** `value()`: a 64-bit integer, its halves in `lo` / `hi` (no Long built). */
const LONG = Symbol("long");
/** Field numbers up to this are found in an array, not a Map. */
const DENSE_IDS = 1024;

/**
 * Reads messages whose columns are all plain scalar fields (numbers, bools, strings; not
 * enums, bytes, messages, repeated, maps, oneofs) straight from the wire bytes into one value
 * per column, giving what protobufjs's `decode` plus the field lookups give: the same
 * varint/fixed/float readings, the same Long objects for 64-bit fields, the prototype's
 * default for unset (or default-valued) fields, the last value of a repeated tag, unknown
 * fields and wire-type mismatches skipped, the schema's other fields read and checked as
 * protobufjs reads them (so both refuse the same messages). Anything it does not mirror exactly (groups,
 * invalid tags, truncation, over-long varints, invalid UTF-8 in a column's text) returns
 * undefined, and protobufjs decodes the payload.
 */
export class FlatProtoReader {
  private readonly byId: ReadonlyMap<number, readonly Slot[]>;
  /** `byId` as an array indexed by field number, for numbers below {@link DENSE_IDS}. */
  private readonly dense: (readonly Slot[] | undefined)[];
  private readonly row: FlatRow;
  private pos = 0;

  private constructor(
    private readonly slots: readonly Slot[],
    Long: typeof protobuf.util.Long,
    /** The message's fields that are no column, by field number then wire type: see {@link Other}. */
    private readonly others: ReadonlyMap<number, ReadonlyMap<number, Other>>,
  ) {
    const byId = new Map<number, Slot[]>();
    for (const s of slots) byId.set(s.id, [...(byId.get(s.id) ?? []), s]);
    this.byId = byId;
    this.dense = [];
    for (const [id, list] of byId) if (id < DENSE_IDS) this.dense[id] = list;
    for (let id = 0; id < this.dense.length; id++) this.dense[id] ??= undefined;
    this.row = new FlatRow(slots.length);
    this.row.long = Long as unknown as LongConstructor;
  }

  /** The reader for these columns of `type`, or undefined when a column needs what it does not read. */
  static plan(type: protobuf.Type, columns: readonly ColumnDef[]): FlatProtoReader | undefined {
    const Long = protobuf.util.Long;
    if (Long === undefined || Long === null) return undefined;
    if (type.fieldsArray.some((f) => f.required)) return undefined;
    type.setup();
    const prototype = type.ctor.prototype as Record<string, unknown>;
    const slots: Slot[] = [];
    for (const [column, c] of columns.entries()) {
      const field = findField(type, c.name);
      if (field === undefined || field.map || field.repeated || field.partOf !== null) return undefined;
      field.resolve();
      const wire = WIRE[field.type];
      if (wire === undefined || field.resolvedType !== null) return undefined;
      const kind = c.type.kind;
      if (kind === "jsonb" || kind === "struct" || kind === "list") return undefined;
      if (field.name in Object.prototype) return undefined;
      slots.push({
        id: field.id,
        column,
        type: field.type,
        code: TYPE_CODE[field.type]!,
        wire,
        implicit: !field.hasPresence,
        unset: prototype[field.name],
        text: kind === "varchar",
      });
    }
    return new FlatProtoReader(slots, Long, othersOf(type, new Set(slots.map((s) => s.id))));
  }

  /** The payload's column values (reused by the next call), or undefined when protobufjs must decode it. */
  read(b: Uint8Array): FlatRow | undefined {
    const row = this.row;
    const slots = this.slots;
    for (let c = 0; c < slots.length; c++) row.setValue(c, slots[c]!.unset);
    row.source = b;
    this.pos = 0;
    const dense = this.dense;
    try {
      const n = b.length;
      while (this.pos < n) {
        const tag = this.tag(b, n);
        const id = tag >>> 3;
        const wire = tag & 7;
        const known = id < dense.length ? dense[id] : id < DENSE_IDS ? undefined : this.byId.get(id);
        const slot = known?.[0];
        if (slot === undefined || slot.wire !== wire) {
          const other = slot === undefined ? this.others.get(id)?.get(wire) : undefined;
          if (other === undefined) this.skip(b, n, wire, id);
          else this.readOther(b, n, other);
          continue;
        }
        const value = this.value(b, n, slot);
        for (let k = 0; k < (known as readonly Slot[]).length; k++) {
          const s = (known as readonly Slot[])[k]!;
          if (value === NUMBER) row.setNumber(s.column, this.number);
          else if (value === TEXT) {
            if (s.text) row.setUtf8(s.column, this.textStart, this.pos);
            else row.setValue(s.column, this.textValue(b, this.textStart, this.pos));
          } else if (value === LONG) {
            row.setInt64(s.column, this.lo, this.hi, slot.code === TYPE.uint64 || slot.code === TYPE.fixed64);
          } else row.setValue(s.column, value);
        }
      }
      return row;
    } catch (e) {
      if (e === GENERAL) return undefined;
      throw e;
    }
  }

  private textStart = 0;
  private textHigh = false;

  /** A number read by `value()` (see {@link NUMBER}). */
  private number = 0;

  /**
   * The field's value as protobufjs leaves it readable, or where it is: {@link TEXT} for a
   * non-empty string (bytes from `textStart`), {@link NUMBER} for a number in `number`,
   * {@link LONG} for a 64-bit integer in `lo`/`hi`. An implicit field set to its default reads
   * as the prototype's value, as protobufjs has it.
   */
  private value(b: Uint8Array, n: number, slot: Slot): unknown {
    let number: number;
    switch (slot.code) {
      case TYPE.string: {
        const length = this.size(b, n);
        const start = this.pos;
        const end = start + length;
        if (end > n) throw GENERAL;
        const high = hasHighByte(b, start, end);
        if (high && !isUtf8(b.subarray(start, end))) throw GENERAL;
        this.pos = end;
        if (length === 0) return slot.implicit ? slot.unset : "";
        this.textStart = start;
        this.textHigh = high;
        return TEXT;
      }
      case TYPE.double:
      case TYPE.float: {
        const size = slot.code === TYPE.double ? 8 : 4;
        const pos = this.pos;
        if (pos + size > n) throw GENERAL;
        if (LITTLE_ENDIAN) {
          scratch[0] = b[pos]!;
          scratch[1] = b[pos + 1]!;
          scratch[2] = b[pos + 2]!;
          scratch[3] = b[pos + 3]!;
          if (size === 8) {
            scratch[4] = b[pos + 4]!;
            scratch[5] = b[pos + 5]!;
            scratch[6] = b[pos + 6]!;
            scratch[7] = b[pos + 7]!;
          }
        } else for (let k = 0; k < size; k++) scratch[size - 1 - k] = b[pos + k]!;
        this.pos = pos + size;
        number = size === 8 ? scratch64[0]! : scratch32[0]!;
        // -0 is not the default: protobufjs keeps it.
        if (slot.implicit && number === 0 && 1 / number > 0) return slot.unset;
        this.number = number;
        return NUMBER;
      }
      case TYPE.bool: {
        const value = this.bool(b, n);
        return slot.implicit && !value ? slot.unset : value;
      }
      case TYPE.int32:
        number = this.uint32(b, n) | 0;
        break;
      case TYPE.uint32:
        number = this.uint32(b, n);
        break;
      case TYPE.sint32: {
        const v = this.uint32(b, n);
        number = ((v >>> 1) ^ -(v & 1)) | 0;
        break;
      }
      case TYPE.fixed32:
      case TYPE.sfixed32: {
        if (this.pos + 4 > n) throw GENERAL;
        const v = fixed32(b, this.pos);
        this.pos += 4;
        number = slot.code === TYPE.fixed32 ? v : v | 0;
        break;
      }
      default: {
        // 64-bit: int64, uint64, sint64 (varints), fixed64, sfixed64.
        let lo: number;
        let hi: number;
        if (slot.code === TYPE.fixed64 || slot.code === TYPE.sfixed64) {
          if (this.pos + 8 > n) throw GENERAL;
          lo = fixed32(b, this.pos);
          hi = fixed32(b, this.pos + 4);
          this.pos += 8;
        } else {
          this.longVarint(b, n);
          lo = this.lo;
          hi = this.hi;
          if (slot.code === TYPE.sint64) {
            const mask = -(lo & 1);
            lo = (((lo >>> 1) | (hi << 31)) ^ mask) >>> 0;
            hi = ((hi >>> 1) ^ mask) >>> 0;
          }
        }
        if (slot.implicit && lo === 0 && hi === 0) return slot.unset;
        this.lo = lo | 0;
        this.hi = hi | 0;
        return LONG;
      }
    }
    if (slot.implicit && number === 0) return slot.unset;
    this.number = number;
    return NUMBER;
  }

  private textValue(b: Uint8Array, start: number, end: number): string {
    return this.textHigh ? utf8.decode(b.subarray(start, end)) : latin1Slice.call(b, start, end);
  }

  /** `Reader#tag`; field number 0 is refused (by `skipType`, as no field has it). */
  private tag(b: Uint8Array, n: number): number {
    const value = this.varint32(b, n, true);
    if (value >>> 3 === 0) throw GENERAL;
    return value;
  }

  /** `Reader#size`: a length varint. */
  private size(b: Uint8Array, n: number): number {
    return this.varint32(b, n, true);
  }

  /**
   * `Reader#uint32`: the low 32 bits of a varint. Near the end of the data protobufjs reads at
   * most 4 bytes; elsewhere 5, then skips up to 5 more continuation bytes.
   */
  private uint32(b: Uint8Array, n: number): number {
    return this.varint32(b, n, false);
  }

  /** A 32-bit varint; `short` ones (tags, lengths) of more than 4 bytes go to protobufjs. */
  private varint32(b: Uint8Array, n: number, short: boolean): number {
    let pos = this.pos;
    if (pos >= n) throw GENERAL;
    if (n - pos < 5) {
      // readVarint32NearEnd: four bytes at most.
      let value = 0;
      for (let i = 0; i < 4; i++) {
        if (pos >= n) throw GENERAL;
        const c = b[pos++]!;
        value = (value | ((c & 127) << (i * 7))) >>> 0;
        if (c < 128) {
          this.pos = pos;
          return value;
        }
      }
      throw GENERAL;
    }
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const c = b[pos++]!;
      value = (value | ((c & 127) << (i * 7))) >>> 0;
      if (c < 128) {
        this.pos = pos;
        return value;
      }
    }
    // Tags and lengths of 5 bytes have their own rules in protobufjs; they never occur in
    // practice (field numbers past 2^25, lengths past 256 MiB), so they go to protobufjs.
    if (short) throw GENERAL;
    const fifth = b[pos++]!;
    value = (value | ((fifth & 15) << 28)) >>> 0;
    if (fifth < 128) {
      this.pos = pos;
      return value;
    }
    for (let i = 0; i < 5; i++) {
      if (pos >= n) throw GENERAL;
      if (b[pos++]! < 128) {
        this.pos = pos;
        return value;
      }
    }
    throw GENERAL;
  }

  private lo = 0;
  private hi = 0;

  /** `readLongVarint`: up to 10 bytes into `lo`/`hi` (4 at most near the end of the data). */
  private longVarint(b: Uint8Array, n: number): void {
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    if (n - pos > 4) {
      for (let i = 0; i < 4; i++) {
        const c = b[pos++]!;
        lo = (lo | ((c & 127) << (i * 7))) >>> 0;
        if (c < 128) {
          this.long(pos, lo, hi);
          return;
        }
      }
      const c = b[pos++]!;
      lo = (lo | ((c & 127) << 28)) >>> 0;
      hi = (hi | ((c & 127) >> 4)) >>> 0;
      if (c < 128) {
        this.long(pos, lo, hi);
        return;
      }
    } else {
      for (let i = 0; i < 4; i++) {
        if (pos >= n) throw GENERAL;
        const c = b[pos++]!;
        lo = (lo | ((c & 127) << (i * 7))) >>> 0;
        if (c < 128) {
          this.long(pos, lo, hi);
          return;
        }
      }
      throw GENERAL;
    }
    for (let i = 0; i < 5; i++) {
      if (pos >= n) throw GENERAL;
      const c = b[pos++]!;
      hi = (hi | ((c & 127) << (i * 7 + 3))) >>> 0;
      if (c < 128) {
        this.long(pos, lo, hi);
        return;
      }
    }
    throw GENERAL;
  }

  private long(pos: number, lo: number, hi: number): void {
    this.pos = pos;
    this.lo = lo;
    this.hi = hi;
  }

  /** `Reader#bool`: any non-zero bit in up to 10 varint bytes. */
  private bool(b: Uint8Array, n: number): boolean {
    let value = false;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= n) throw GENERAL;
      const c = b[this.pos++]!;
      if (c & 127) value = true;
      if (c < 128) return value;
    }
    throw GENERAL;
  }

  /**
   * A field that is no column, read the way protobufjs's `decode` reads it and dropped: a value
   * it refuses (invalid UTF-8 in a proto3 string, an over-long varint, a broken nested message)
   * makes the message go to protobufjs, which refuses it too. Skipping it unread would accept
   * messages the general path calls bad, so declaring one more column would change which
   * messages are bad.
   */
  private readOther(b: Uint8Array, n: number, other: Other): void {
    switch (other.read) {
      case "value":
        this.value(b, n, other.slot);
        return;
      case "message": {
        const length = this.size(b, n);
        const end = this.pos + length;
        if (end > n) throw GENERAL;
        try {
          other.type.decode(b.subarray(this.pos, end));
        } catch {
          throw GENERAL;
        }
        this.pos = end;
        return;
      }
      case "general":
        throw GENERAL;
    }
  }

  /** `Reader#skipType` for an unknown field (groups and invalid wire types go to protobufjs). */
  private skip(b: Uint8Array, n: number, wire: number, _id: number): void {
    switch (wire) {
      case 0:
        do {
          if (this.pos >= n) throw GENERAL;
        } while (b[this.pos++]! & 128);
        return;
      case 1:
        if (this.pos + 8 > n) throw GENERAL;
        this.pos += 8;
        return;
      case 2: {
        const length = this.size(b, n);
        if (this.pos + length > n) throw GENERAL;
        this.pos += length;
        return;
      }
      case 5:
        if (this.pos + 4 > n) throw GENERAL;
        this.pos += 4;
        return;
      default:
        throw GENERAL;
    }
  }
}

function fixed32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/**
 * How a field that is no column is read (only with its own wire type: protobufjs skips a
 * mismatched one like an unknown field): `value` through the scalar readers, `message` by
 * protobufjs on the nested bytes, `general` (maps, packed repeated scalars, groups) by handing
 * the whole message to protobufjs. Bytes fields need no entry: skipping checks what reading does.
 */
type Other =
  | { readonly read: "value"; readonly slot: Slot }
  | { readonly read: "message"; readonly type: protobuf.Type }
  | { readonly read: "general" };

function othersOf(type: protobuf.Type, columnIds: ReadonlySet<number>): Map<number, Map<number, Other>> {
  const out = new Map<number, Map<number, Other>>();
  const add = (id: number, wire: number, other: Other) => {
    const byWire = out.get(id) ?? new Map<number, Other>();
    byWire.set(wire, other);
    out.set(id, byWire);
  };
  for (const field of type.fieldsArray) {
    if (columnIds.has(field.id)) continue;
    field.resolve();
    if (field.map) {
      add(field.id, 2, { read: "general" });
      continue;
    }
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) {
      add(field.id, 2, { read: "message", type: resolved });
      add(field.id, 3, { read: "general" });
      continue;
    }
    const scalar = resolved instanceof protobuf.Enum ? "int32" : field.type;
    const wire = WIRE[scalar];
    if (wire === undefined) continue; // bytes
    // Packed repeated scalars (and strings, whose wire type is 2 anyway) go to protobufjs.
    if (field.repeated && scalar !== "string") add(field.id, 2, { read: "general" });
    const slot: Slot = {
      id: field.id,
      column: -1,
      type: scalar,
      code: TYPE_CODE[scalar]!,
      wire,
      implicit: false,
      unset: undefined,
      text: false,
    };
    add(field.id, wire, { read: "value", slot });
  }
  return out;
}
