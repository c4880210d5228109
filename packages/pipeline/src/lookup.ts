import { type ColumnDef, cellAt, type RawBatch, type SqlType } from "@jetflow/core";
import { createDecoder, type Decoder } from "@jetflow/decoders";
import { type Data, makeData, RecordBatch, Schema, Struct, Table } from "apache-arrow";
import { LookupError } from "./errors.js";
import type { Relation } from "./relation.js";

/** Column equalities of a lookup: column name -> value, as a JSON message would carry it. */
export type Equalities = Readonly<Record<string, unknown>>;

/** How a lookup on these columns finds rows: `"index"` when they cover the relation's key, else `"scan"`. */
export function lookupPlan(key: readonly string[], columns: readonly string[]): "index" | "scan" {
  return key.length > 0 && key.every((k) => columns.includes(k)) ? "index" : "scan";
}

/**
 * A lookup's equalities parsed once: the probe row (the named columns' values, parsed as a JSON
 * message's are), the key columns' part of it for an index probe, and what is left to compare.
 */
interface ParsedLookup {
  /** The key columns of the probe row, in key order; undefined for a scan. */
  readonly byKey: RecordBatch | undefined;
  /** Equalities the key does not settle, each value as the rows print it. */
  readonly compare: readonly Compared[];
}

/** One column compared as the rows print: its position in the relation, its type, the wanted text. */
interface Compared {
  readonly column: number;
  readonly type: SqlType;
  readonly json: string;
}

/**
 * Parsed lookups kept per relation, by their equalities' text (a few hundred bytes each); past
 * this many the least recently used goes.
 */
const MAX_PARSED = 16_384;

/** What a relation's lookups reuse: JSON decoders per set of columns, and parsed lookups. */
interface LookupCache {
  readonly decoders: Map<string, Promise<Decoder>>;
  readonly parsed: Map<string, ParsedLookup>;
}

const caches = new WeakMap<Relation, LookupCache>();

/**
 * The rows of `r` whose columns equal `equal` (see `RelationHandle.lookup`): the values are
 * parsed as a JSON message's are, then the rows are probed by key when `equal` covers the key
 * (`Relation.probeByKey`), else scanned; other columns are compared as the rows print. A lookup
 * is parsed once per relation and text of `equal` (a hot key's next lookup reuses it).
 * @throws LookupError naming an unknown column or a value that does not parse as its type
 */
export async function lookupRows(r: Relation, equal: Equalities): Promise<Table> {
  const parsed = await parsedLookup(r, equal);
  // Nothing awaits from here on: the rows read below are of one instant, between two batches.
  const rows = (parsed.byKey === undefined ? undefined : r.probeByKey(parsed.byKey)) ?? r.snapshot();
  if (rows === undefined) return new Table(r.schema);
  return parsed.compare.length === 0 ? rows : keepEqual(rows, parsed.compare);
}

/** The rows a probe by key found, as the plain values the relation held at one instant, in column order (unsorted). */
export interface KeyedLookup {
  readonly rows: readonly (readonly unknown[])[];
}

/**
 * The rows of {@link lookupRows} without an Arrow table, when `equal` is a probe by key with
 * nothing else to compare (see `RelationHandle.lookupByKey`); else undefined.
 * @throws LookupError as {@link lookupRows} does
 */
export async function lookupKeyed(r: Relation, equal: Equalities): Promise<KeyedLookup | undefined> {
  const parsed = await parsedLookup(r, equal);
  if (parsed.byKey === undefined || parsed.compare.length > 0) return undefined;
  const rows = r.probeRowsByKey(parsed.byKey);
  // Copies: a keyed table overwrites a stored row in place, and the caller formats them later.
  return rows === undefined ? undefined : { rows: rows.map((row) => row.slice()) };
}

/** `equal` parsed for `r`, from the cache when it was parsed before (Map order is use order). */
async function parsedLookup(r: Relation, equal: Equalities): Promise<ParsedLookup> {
  let cache = caches.get(r);
  if (cache === undefined) {
    cache = { decoders: new Map(), parsed: new Map() };
    caches.set(r, cache);
  }
  const text = JSON.stringify(equal);
  let parsed = cache.parsed.get(text);
  if (parsed === undefined) {
    parsed = await parse(r, cache, equal, text);
    if (cache.parsed.size >= MAX_PARSED) cache.parsed.delete(cache.parsed.keys().next().value as string);
  } else cache.parsed.delete(text);
  // The first key is the least recently used.
  cache.parsed.set(text, parsed);
  return parsed;
}

async function parse(r: Relation, cache: LookupCache, equal: Equalities, text: string): Promise<ParsedLookup> {
  const names = Object.keys(equal);
  const columns = r.columns;
  const positions = names.map((n) => columns.findIndex((c) => c.name === n));
  const unknown = names.find((_, i) => positions[i] === -1);
  if (unknown !== undefined) {
    throw new LookupError(
      "unknown-column",
      `"${r.name}" has no column "${unknown}" (columns: ${columns.map((c) => c.name).join(", ")})`,
    );
  }
  if (names.length === 0) return { byKey: undefined, compare: [] };
  const probe = await probeRow(r, cache, names, text);
  const byKey =
    lookupPlan(r.key, names) === "index"
      ? pick(
          probe,
          r.key.map((k) => names.indexOf(k)),
        )
      : undefined;
  // A probe by key finds exactly the rows whose key equals the probe's: only other columns are compared.
  const compare = positions.flatMap((column, i): Compared[] => {
    if (byKey !== undefined && r.key.includes(names[i] as string)) return [];
    const type = (columns[column] as ColumnDef).type;
    return [{ column, type, json: cellAt(probe.data.children[i] as Data, 0, type).json }];
  });
  return { byKey, compare };
}

/** The lookup values as a one-row batch of the named columns, parsed as a JSON message is. */
async function probeRow(r: Relation, cache: LookupCache, names: readonly string[], text: string): Promise<RecordBatch> {
  const set = JSON.stringify(names);
  let decoder = cache.decoders.get(set);
  if (decoder === undefined) {
    decoder = createDecoder({
      format: { format: "plain", encode: "json", options: {} },
      columns: names.map((n) => r.columns.find((c) => c.name === n) as ColumnDef),
      include: [],
    });
    cache.decoders.set(set, decoder);
  }
  const { batch, bad } = (await decoder).decode(oneMessage(text));
  if (bad.length > 0 || batch.numRows !== 1) {
    throw new LookupError("invalid-value", `lookup on "${r.name}": ${bad[0]?.reason ?? "invalid values"}`);
  }
  return batch;
}

/** A RecordBatch of some columns of `batch`, in the given order. */
function pick(batch: RecordBatch, positions: readonly number[]): RecordBatch {
  const fields = positions.map((p) => batch.schema.fields[p] as (typeof batch.schema.fields)[number]);
  const children = positions.map((p) => batch.data.children[p] as Data);
  const data = makeData({ type: new Struct(fields), length: batch.numRows, children });
  return new RecordBatch(new Schema(fields), data);
}

/**
 * The rows of `table` whose columns print as `compare` wants (one value formatter, so `1.0`
 * equals `1.00` and -0 equals 0). Matching runs are sliced, not copied.
 */
function keepEqual(table: Table, compare: readonly Compared[]): Table {
  const kept: RecordBatch[] = [];
  for (const batch of table.batches) {
    const children = batch.data.children;
    let start = -1;
    for (let i = 0; i <= batch.numRows; i++) {
      const match =
        i < batch.numRows && compare.every((c) => cellAt(children[c.column] as Data, i, c.type).json === c.json);
      if (match && start < 0) start = i;
      if (!match && start >= 0) {
        kept.push(batch.slice(start, i));
        start = -1;
      }
    }
  }
  return new Table(table.schema, kept);
}

function oneMessage(json: string): RawBatch {
  return {
    length: 1,
    payloads: [new TextEncoder().encode(json)],
    subjects: [""],
    sequences: new Float64Array(1),
    timestampsUs: new Float64Array(1),
    headers: undefined,
    offsets: new Map(),
  };
}
