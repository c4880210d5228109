import type { FormatSpec, IncludeColumn } from "@jetflow/decoders";
import type { SourceSpec, TableSpec } from "../spec.js";
import { type Columns, columnDefs } from "./columns.js";
import type { WithOptions } from "./nats.js";

/**
 * How JSON and MessagePack read epoch numbers in `timestamptz` columns (`timestamptz.handling.mode`).
 * @example json({ timestamptzHandling: "milli" })
 */
export type TimestamptzHandling = "guess_number_unit" | "milli" | "micro" | "utc_string" | "utc_without_suffix";

/**
 * `FORMAT PLAIN ENCODE JSON`: the default format of a source or table.
 * @example json({ timestamptzHandling: "milli" })
 */
export function json(options: { readonly timestamptzHandling?: TimestamptzHandling } = {}): FormatSpec {
  return plain("json", { "timestamptz.handling.mode": options.timestamptzHandling });
}

/**
 * `FORMAT PLAIN ENCODE MSGPACK`.
 * @example msgpack()
 */
export function msgpack(options: { readonly timestamptzHandling?: TimestamptzHandling } = {}): FormatSpec {
  return plain("msgpack", { "timestamptz.handling.mode": options.timestamptzHandling });
}

/**
 * `FORMAT PLAIN ENCODE PROTOBUF`: `message` is the fully-qualified message name, `schemaLocation`
 * a `file://` or `http(s)://` URL of `.proto` text or a compiled `FileDescriptorSet`. Without
 * `columns`, the relation's columns come from the message.
 *
 * @example protobuf({ message: "shop.Order", schemaLocation: "file:///etc/shop.proto" })
 */
export function protobuf(options: {
  readonly message: string;
  readonly schemaLocation: string;
  /** Messages whose fields become `jsonb` instead of `struct`. */
  readonly messagesAsJsonb?: readonly string[];
}): FormatSpec {
  return plain("protobuf", {
    message: options.message,
    "schema.location": options.schemaLocation,
    messages_as_jsonb: options.messagesAsJsonb?.join(","),
  });
}

/**
 * `FORMAT PLAIN ENCODE BYTES`: the payload as one `bytea` column.
 * @example bytes()
 */
export function bytes(): FormatSpec {
  return plain("bytes", {});
}

function plain(encode: FormatSpec["encode"], options: Readonly<Record<string, string | undefined>>): FormatSpec {
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) set[k] = v;
  return { format: "plain", encode, options: set };
}

/**
 * Message metadata a column can hold (`INCLUDE kind AS column`); `{ header: "k" }` is one header's value.
 * @example const include = { topic: "subject", trace: { header: "trace-id" } } satisfies Include;
 */
export type IncludeKind = IncludeColumn["kind"] | { readonly header: string };

/**
 * INCLUDE columns: column name -> what it holds, in order; or the list the SQL front end builds.
 *
 * @example
 * ```ts
 * const include: Include = { topic: "subject", seq: "sequence", trace: { header: "trace-id" } };
 * ```
 */
export type Include = Readonly<Record<string, IncludeKind>> | readonly IncludeColumn[];

/**
 * What a source is defined with: the SQL DDL's parts, typed, with defaults.
 * @example pipeline().source("clicks", { columns: { page: "varchar" }, with: nats({ servers, subject: "web.>", stream: "web" }) });
 */
export interface SourceDef {
  /** The declared columns; leave out for PROTOBUF to take them from the message. */
  readonly columns?: Columns | undefined;
  /** The WITH options, from {@link nats}. */
  readonly with: WithOptions;
  /** @default json() */
  readonly format?: FormatSpec;
  /** Metadata columns after the declared ones. @default none */
  readonly include?: Include;
}

/**
 * What a table is defined with: a source's parts and its primary key.
 * @example pipeline().table("orders", { columns: { id: "int", amount: "double" }, primaryKey: "id", with: nats({ servers, subject: "shop.orders", stream: "shop" }) });
 */
export interface TableDef extends SourceDef {
  /** The primary-key column(s): a new row overwrites the row with its key. @default none (append-only) */
  readonly primaryKey?: string | readonly string[];
}

/**
 * The spec a source definition stands for, defaults filled.
 * @example sourceSpec({ columns: { page: "varchar" }, with: nats({ ... }) })
 */
export function sourceSpec(def: SourceDef): SourceSpec {
  return {
    columns: def.columns === undefined ? undefined : columnDefs(def.columns),
    include: includeColumns(def.include ?? []),
    with: def.with,
    format: def.format ?? json(),
  };
}

/**
 * The spec a table definition stands for, defaults filled.
 * @example tableSpec({ columns: { id: "int", amount: "double" }, primaryKey: "id", with: nats({ ... }) })
 */
export function tableSpec(def: TableDef): TableSpec {
  const key = def.primaryKey ?? [];
  return { ...sourceSpec(def), primaryKey: typeof key === "string" ? [key] : [...key] };
}

function includeColumns(include: Include): IncludeColumn[] {
  if (Array.isArray(include)) return [...(include as readonly IncludeColumn[])];
  return Object.entries(include as Readonly<Record<string, IncludeKind>>).map(([name, kind]) =>
    typeof kind === "string" ? { kind, name } : { kind: "header", name, key: kind.header },
  );
}
