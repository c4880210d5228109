import zlib from "node:zlib";
import type { CheckpointRecord } from "./checkpoint-backend.js";
import type { StateChunk } from "./keyed-store.js";

/**
 * The bytes of one checkpoint, as the filesystem and NATS backends store it (little endian):
 *
 * ```
 * 0   "JFCK"                       magic
 * 4   u32 version                  FORMAT_VERSION
 * 8   u64 total length             of the whole record: a torn (short) file is caught before the checksum
 * 16  u32 header length H
 * 20  u32 CRC-32 of the header     so an index can trust a header without reading the chunks
 * 24  header: UTF-8 JSON { id, base, offsets, meta, chunks: [[storeId, kind, length], ...] }
 * ..  chunk bytes, in header order
 * -8  u32 CRC-32 of every byte before it
 * -4  "KCFJ"                       end marker
 * ```
 */
export const FORMAT_VERSION = 1;
export const PREFIX_BYTES = 24;
const TRAILER_BYTES = 8;
const MAGIC = 0x4b43464a; // "JFCK" read as a little-endian u32
const END_MAGIC = 0x4a46434b; // "KCFJ"

/** A decoded, verified checkpoint plus the id its delta chunks extend. */
export interface StoredRecord {
  readonly id: number;
  /** The checkpoint the delta chunks are relative to; undefined when every chunk is full. */
  readonly base: number | undefined;
  readonly offsets: Record<string, Record<string, number>>;
  readonly meta: Record<string, string>;
  readonly chunks: readonly StateChunk[];
}

/** The header fields: what an index needs without the chunk bytes. */
export interface RecordHeader {
  readonly id: number;
  readonly base: number | undefined;
  readonly offsets: Record<string, Record<string, number>>;
  readonly meta: Record<string, string>;
  readonly chunks: readonly (readonly [storeId: string, kind: "full" | "delta", length: number])[];
  /** Length of the whole encoded record in bytes. */
  readonly totalLength: number;
}

/** The bytes are not a complete, intact checkpoint (torn write, flipped bits, foreign file). */
export class CorruptRecordError extends Error {
  override readonly name = "CorruptRecordError";
}

const crc32: (data: Uint8Array, value?: number) => number = typeof zlib.crc32 === "function" ? zlib.crc32 : jsCrc32; // zlib.crc32 arrived in Node 20.15

/** The parts to write one after the other (no copy of the chunk bytes) and their total size. */
export function encodeRecord(
  record: CheckpointRecord,
  base: number | undefined,
): { parts: Uint8Array[]; size: number } {
  const header = new TextEncoder().encode(
    JSON.stringify({
      id: record.id,
      base: base ?? null,
      offsets: record.offsets,
      meta: record.meta,
      chunks: record.chunks.map((c) => [c.storeId, c.kind, c.bytes.length]),
    }),
  );
  let size = PREFIX_BYTES + header.length + TRAILER_BYTES;
  for (const c of record.chunks) size += c.bytes.length;
  const prefix = new Uint8Array(PREFIX_BYTES);
  const view = new DataView(prefix.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setBigUint64(8, BigInt(size), true);
  view.setUint32(16, header.length, true);
  view.setUint32(20, crc32(header), true);
  let crc = crc32(header, crc32(prefix));
  for (const c of record.chunks) crc = crc32(c.bytes, crc);
  const trailer = new Uint8Array(TRAILER_BYTES);
  const tv = new DataView(trailer.buffer);
  tv.setUint32(0, crc, true);
  tv.setUint32(4, END_MAGIC, true);
  return { parts: [prefix, header, ...record.chunks.map((c) => c.bytes), trailer], size };
}

/** The whole record as one buffer (for the memory backend's tests and small objects). */
export function encodeRecordBytes(record: CheckpointRecord, base: number | undefined): Uint8Array {
  const { parts, size } = encodeRecord(record, base);
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads the header from the first bytes of a record (at least {@link PREFIX_BYTES} + header length). */
export function decodeHeader(bytes: Uint8Array): RecordHeader {
  if (bytes.length < PREFIX_BYTES) throw new CorruptRecordError(`only ${bytes.length} bytes, shorter than the prefix`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new CorruptRecordError("not a jetflow checkpoint (bad magic)");
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) {
    throw new CorruptRecordError(`checkpoint format version ${version}, this jetflow reads ${FORMAT_VERSION}`);
  }
  const totalLength = Number(view.getBigUint64(8, true));
  const headerLength = view.getUint32(16, true);
  const end = PREFIX_BYTES + headerLength;
  if (end + TRAILER_BYTES > totalLength) throw new CorruptRecordError("header longer than the record");
  if (bytes.length < end) throw new CorruptRecordError(`truncated header: ${bytes.length} of ${end} bytes`);
  const headerBytes = bytes.subarray(PREFIX_BYTES, end);
  if (crc32(headerBytes) !== view.getUint32(20, true)) throw new CorruptRecordError("header checksum mismatch");
  return parseHeader(headerBytes, totalLength);
}

/** How many bytes {@link decodeHeader} needs, from the prefix alone. */
export function headerEnd(prefix: Uint8Array): number {
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  return PREFIX_BYTES + view.getUint32(16, true);
}

/**
 * Verifies and decodes a whole record. Chunk bytes are views into `bytes`.
 * @throws CorruptRecordError when the bytes are short, altered or not a checkpoint
 */
export function decodeRecord(bytes: Uint8Array): StoredRecord {
  const header = decodeHeader(bytes);
  if (bytes.length !== header.totalLength) {
    throw new CorruptRecordError(`torn record: ${bytes.length} of ${header.totalLength} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crcAt = bytes.length - TRAILER_BYTES;
  if (view.getUint32(crcAt + 4, true) !== END_MAGIC) throw new CorruptRecordError("missing end marker");
  if (crc32(bytes.subarray(0, crcAt)) !== view.getUint32(crcAt, true)) {
    throw new CorruptRecordError("checksum mismatch");
  }
  let at = headerEnd(bytes);
  const chunks: StateChunk[] = [];
  for (const [storeId, kind, length] of header.chunks) {
    if (at + length > crcAt) throw new CorruptRecordError("chunk lengths exceed the record");
    chunks.push({ storeId, kind, bytes: bytes.subarray(at, at + length) });
    at += length;
  }
  if (at !== crcAt) throw new CorruptRecordError("chunk lengths do not add up to the record");
  return { id: header.id, base: header.base, offsets: header.offsets, meta: header.meta, chunks };
}

function parseHeader(bytes: Uint8Array, totalLength: number): RecordHeader {
  let h: unknown;
  try {
    h = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new CorruptRecordError("header is not JSON", { cause: e });
  }
  const o = h as Partial<Record<"id" | "base" | "offsets" | "meta" | "chunks", unknown>>;
  const ok =
    typeof o === "object" &&
    o !== null &&
    Number.isSafeInteger(o.id) &&
    (o.base === null || Number.isSafeInteger(o.base)) &&
    typeof o.offsets === "object" &&
    o.offsets !== null &&
    typeof o.meta === "object" &&
    o.meta !== null &&
    Array.isArray(o.chunks) &&
    o.chunks.every(
      (c: unknown) =>
        Array.isArray(c) &&
        typeof c[0] === "string" &&
        (c[1] === "full" || c[1] === "delta") &&
        Number.isSafeInteger(c[2]) &&
        (c[2] as number) >= 0,
    );
  if (!ok) throw new CorruptRecordError("header fields are malformed");
  return {
    id: o.id as number,
    base: o.base === null ? undefined : (o.base as number),
    offsets: o.offsets as Record<string, Record<string, number>>,
    meta: o.meta as Record<string, string>,
    chunks: o.chunks as RecordHeader["chunks"],
    totalLength,
  };
}

let table: Uint32Array | undefined;

/** CRC-32 (IEEE), the same as zlib's, for Node versions without `zlib.crc32`. */
export function jsCrc32(data: Uint8Array, value = 0): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = ~value;
  for (let i = 0; i < data.length; i++) crc = (table[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}
