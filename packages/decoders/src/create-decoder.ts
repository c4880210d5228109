import { type ColumnDef, SchemaError, type SqlType, sqlField } from "@jetflow/core";
import { type Field, Schema } from "apache-arrow";
import { BatchDecoder, type PayloadParser } from "./batch-decoder.js";
import { bytesParts } from "./bytes/bytes-decoder.js";
import type { Decoder, DecoderSpec, IncludeColumn } from "./decoder.js";
import { IncludeColumns } from "./include-columns.js";
import { jsonParts } from "./json/json-decoder.js";
import { msgpackParts } from "./msgpack/msgpack-decoder.js";
import { type ResolvedFormat, resolveFormat } from "./options.js";
import { protobufParts } from "./protobuf/protobuf-decoder.js";
import type { RowWriter } from "./row-writer.js";

interface Parts {
  readonly columns: readonly ColumnDef[];
  readonly parser: PayloadParser;
  readonly rows: RowWriter;
}

type PartsOf<E extends ResolvedFormat["encode"]> = (
  format: Extract<ResolvedFormat, { encode: E }>,
  columns: readonly ColumnDef[] | undefined,
) => Parts | Promise<Parts>;

/** Each encoding: its name in reasons, and how its parser and row writer are built. */
const ENCODINGS: { readonly [E in ResolvedFormat["encode"]]: { readonly name: string; readonly parts: PartsOf<E> } } = {
  json: {
    name: "JSON",
    parts: (format, columns) => {
      const declared = requireColumns(columns, "JSON");
      return { columns: declared, ...jsonParts(declared, format.timestamptzNumbers) };
    },
  },
  msgpack: {
    name: "MessagePack",
    parts: (format, columns) => {
      const declared = requireColumns(columns, "MSGPACK");
      return { columns: declared, ...msgpackParts(declared, format.timestamptzNumbers) };
    },
  },
  protobuf: {
    name: "protobuf",
    parts: (format, columns) => protobufParts(format, columns),
  },
  bytes: {
    name: "bytes",
    parts: (_format, columns) => {
      // RisingWave: "ENCODE BYTES only accepts one BYTEA type column".
      const only = columns?.length === 1 ? columns[0] : undefined;
      if (only === undefined || only.type.kind !== "bytea") {
        throw new SchemaError("ENCODE BYTES needs exactly one bytea column, e.g. (data bytea)");
      }
      return { columns: [only], ...bytesParts(only.name) };
    },
  },
};

/**
 * Validates the format options, loads a protobuf schema if there is one, and builds the
 * decoder of `spec`: payload columns (declared, or derived from the protobuf message) then
 * INCLUDE columns.
 *
 * @throws InvalidOptionError on an unknown or invalid ENCODE option (naming it), or a protobuf
 *   `message` the schema does not have; SchemaLoadError when `schema.location` cannot be read;
 *   SchemaError on a column list the encoding cannot fill, or duplicate column names
 * @example
 * ```ts
 * const decoder = await createDecoder({
 *   format: { format: "plain", encode: "protobuf", options: { message: "shop.Order", "schema.location": "file:///schemas/shop.proto" } },
 *   columns: undefined,
 *   include: [{ kind: "offset", name: "seq" }],
 * });
 * ```
 */
export async function createDecoder(spec: DecoderSpec): Promise<Decoder> {
  const format = resolveFormat(spec.format);
  const encoding = ENCODINGS[format.encode] as { name: string; parts: PartsOf<ResolvedFormat["encode"]> };
  const include = new IncludeColumns(checkInclude(spec.include));
  const parts = await encoding.parts(format, spec.columns);
  const fields: Field[] = [...parts.columns.map((c) => sqlField(c.name, c.type)), ...include.fields];
  checkUnique(fields);
  return new BatchDecoder(new Schema(fields), encoding.name, parts.parser, parts.rows, include);
}

function requireColumns(columns: readonly ColumnDef[] | undefined, encode: string): readonly ColumnDef[] {
  if (columns === undefined || columns.length === 0) {
    throw new SchemaError(`ENCODE ${encode} needs a column list: the payload carries no schema`);
  }
  for (const c of columns) checkType(c.type, c.name);
  return columns;
}

/** Struct fields must be unique too: two fields of one name could not both be read. */
function checkType(type: SqlType, path: string): void {
  if (type.kind === "list") {
    checkType(type.element, `${path}[]`);
    return;
  }
  if (type.kind !== "struct") return;
  const seen = new Set<string>();
  for (const f of type.fields) {
    if (seen.has(f.name)) throw new SchemaError(`column "${path}": struct field "${f.name}" is defined twice`);
    seen.add(f.name);
    checkType(f.type, `${path}.${f.name}`);
  }
}

const INCLUDE_KINDS = new Set(["subject", "offset", "partition", "payload", "header", "timestamp", "sequence"]);

function checkInclude(include: readonly IncludeColumn[]): readonly IncludeColumn[] {
  for (const c of include) {
    if (!INCLUDE_KINDS.has(c.kind)) {
      throw new SchemaError(`INCLUDE ${String(c.kind)} is not supported (accepted: ${[...INCLUDE_KINDS].join(", ")})`);
    }
    if (c.key !== undefined && c.kind !== "header") throw new SchemaError(`INCLUDE ${c.kind} takes no key`);
  }
  return include;
}

function checkUnique(fields: readonly Field[]): void {
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name))
      throw new SchemaError(`column "${f.name}" is defined twice (payload and INCLUDE columns share one namespace)`);
    seen.add(f.name);
  }
}
