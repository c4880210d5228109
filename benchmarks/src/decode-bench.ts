import { type ColumnDef, parseSqlType, type RawBatch } from "@jetflow/core";
import { createDecoder, type FormatSpec } from "@jetflow/decoders";
import { type DatasetSpec, Encoder, type Encoding, eventAt, PROTO_FILE, PROTO_MESSAGE } from "./dataset.js";

/** One encoding's decode speed, in process, with no NATS in the way. */
export interface DecodeRow {
  readonly encoding: string;
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly rowsPerSec: number;
  readonly mbPerSec: number;
  /** Rows that did not decode: must be 0, the payloads are well formed. */
  readonly bad: number;
}

const COLUMNS: ColumnDef[] = [
  { name: "id", type: parseSqlType("bigint") },
  { name: "k", type: parseSqlType("varchar") },
  { name: "v", type: parseSqlType("double precision") },
  { name: "ts", type: parseSqlType("double precision") },
  { name: "pad", type: parseSqlType("varchar") },
];

const ENCODINGS: readonly (Encoding | "bytes")[] = ["json", "msgpack", "protobuf", "bytes"];

/**
 * The decode micro-benchmark: `messages` ~100-byte payloads of the benchmark event per encoding,
 * cut into batches of `batchRows` as the connector hands them over, decoded `passes` times after a
 * warm-up pass; the fastest pass counts. BYTES keeps each payload whole in one bytea column.
 */
export async function runDecodeBench(messages: number, batchRows = 4096, passes = 3): Promise<DecodeRow[]> {
  const rows: DecodeRow[] = [];
  for (const encoding of ENCODINGS) {
    const dataset: DatasetSpec = {
      id: `decode-${encoding}`,
      encoding: encoding === "bytes" ? "json" : encoding,
      messages,
      keys: 10_000,
      groups: 1_000,
      payloadBytes: 100,
    };
    const encoder = new Encoder(dataset);
    const batches: RawBatch[] = [];
    let bytes = 0;
    for (let start = 0; start < messages; start += batchRows) {
      const payloads: Uint8Array[] = [];
      for (let i = start; i < Math.min(messages, start + batchRows); i++) {
        const payload = encoder.encode(eventAt(dataset, i, 1_712_345_678_901 + i / 7));
        bytes += payload.byteLength;
        payloads.push(payload);
      }
      batches.push(rawBatch(payloads, start));
    }
    const decoder = await createDecoder({
      format: formatOf(encoding),
      columns: encoding === "bytes" ? [{ name: "data", type: parseSqlType("bytea") }] : COLUMNS,
      include: [],
    });
    let bad = 0;
    for (const b of batches) bad += decoder.decode(b).bad.length;
    let best = Number.POSITIVE_INFINITY;
    for (let pass = 0; pass < passes; pass++) {
      const t0 = performance.now();
      for (const b of batches) decoder.decode(b);
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
    rows.push({
      encoding,
      rows: messages,
      bytes,
      seconds: best,
      rowsPerSec: messages / best,
      mbPerSec: bytes / 1e6 / best,
      bad,
    });
  }
  return rows;
}

function formatOf(encoding: Encoding | "bytes"): FormatSpec {
  if (encoding === "protobuf") {
    return {
      format: "plain",
      encode: "protobuf",
      options: { message: PROTO_MESSAGE, "schema.location": `file://${PROTO_FILE}` },
    };
  }
  return { format: "plain", encode: encoding, options: {} };
}

function rawBatch(payloads: Uint8Array[], firstSeq: number): RawBatch {
  const n = payloads.length;
  const sequences = new Float64Array(n);
  for (let i = 0; i < n; i++) sequences[i] = firstSeq + i + 1;
  return {
    length: n,
    payloads,
    subjects: new Array<string>(n).fill("bench.decode"),
    sequences,
    timestampsUs: new Float64Array(n).fill(1_712_345_678_901_000),
    headers: undefined,
    offsets: new Map([["bench.decode", firstSeq + n]]),
  };
}
