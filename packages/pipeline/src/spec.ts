import type { ColumnDef } from "@jetflow/core";
import type { FormatSpec, IncludeColumn } from "@jetflow/decoders";
import type { AggregateCall, Expr, JoinKind, NamedExpr } from "@jetflow/operators";
import type { RelationKind } from "./relation.js";

/** INCLUDE metadata columns and `FORMAT ... ENCODE ...`: the decoders' vocabulary, shared as is. */
export type { FormatSpec, IncludeColumn } from "@jetflow/decoders";

/**
 * What `CREATE SOURCE` / `CREATE TABLE` says about an ingest relation.
 * `with` holds every WITH option as written (`connector`, `server_url`, ...), validated at CREATE.
 */
export interface IngestSpec {
  /** Undefined when the DDL has no column list (columns come from the protobuf message). */
  readonly columns: readonly ColumnDef[] | undefined;
  readonly include: readonly IncludeColumn[];
  readonly with: Readonly<Record<string, string>>;
  readonly format: FormatSpec;
}

/** `CREATE SOURCE`: append-only, nothing persisted. */
export type SourceSpec = IngestSpec;

/** `CREATE TABLE`: persisted; with a primary key a new row overwrites the one with its key. */
export interface TableSpec extends IngestSpec {
  /** Primary-key column names, in key order; empty for an append-only table. */
  readonly primaryKey: readonly string[];
}

/**
 * The query of a materialized view, as a tree of relational steps over named relations
 * (tables, sources or other views). Built by the SQL layer or the query builder (`from()`), the same for the same query.
 */
export type ViewQuery =
  | { readonly kind: "scan"; readonly relation: string }
  | { readonly kind: "filter"; readonly input: ViewQuery; readonly predicate: Expr }
  | { readonly kind: "project"; readonly input: ViewQuery; readonly columns: readonly NamedExpr[] }
  | {
      readonly kind: "aggregate";
      readonly input: ViewQuery;
      /** Output group columns, in order, before the aggregates. */
      readonly groupBy: readonly NamedExpr[];
      readonly aggregates: readonly AggregateCall[];
    }
  | {
      /** `TUMBLE(input, time_col, INTERVAL '...')`: adds window_start and window_end. */
      readonly kind: "tumble";
      readonly input: ViewQuery;
      readonly timeColumn: string;
      /** Window size in microseconds. */
      readonly sizeUs: number;
    }
  | {
      /**
       * `HOP(input, time_col, INTERVAL slide, INTERVAL size)`: each row once per window of `size`
       * containing its time, windows every `slide`; adds window_start and window_end.
       */
      readonly kind: "hop";
      readonly input: ViewQuery;
      readonly timeColumn: string;
      /** Microseconds between window starts. */
      readonly slideUs: number;
      /** Window size in microseconds, a multiple of the slide. */
      readonly sizeUs: number;
    }
  | {
      /** `ORDER BY ... LIMIT n [OFFSET m]`: the view keeps the first n rows by the order. */
      readonly kind: "topN";
      readonly input: ViewQuery;
      readonly orderBy: readonly { readonly expr: Expr; readonly desc: boolean; readonly nullsFirst: boolean }[];
      readonly limit: number;
      readonly offset: number;
    }
  | {
      /**
       * `left [kind] JOIN right ON ...`: the left input's columns then the right's, renamed to
       * `names` (distinct). Rows match when every `on` pair is equal (NULL never equals) and the
       * `residual` (over `names`) is TRUE; outer kinds add unmatched rows padded with NULLs.
       */
      readonly kind: "join";
      readonly join: JoinKind;
      readonly left: ViewQuery;
      readonly right: ViewQuery;
      readonly names: readonly string[];
      /** Equi-key pairs, each side an expression over that side's columns by their output `names`. */
      readonly on: readonly { readonly left: Expr; readonly right: Expr }[];
      readonly residual?: Expr | undefined;
      /**
       * Temporal (lookup) join, `FOR SYSTEM_TIME AS OF PROCTIME()`: the left input must be
       * append-only (a source); its rows join the right side as it is when they arrive and are not
       * stored, so later right changes do not revise past rows.
       */
      readonly temporal?: boolean | undefined;
    }
  | {
      /**
       * `WHERE time_col > now() - INTERVAL '...'` (`>=` when `inclusive`): the rows of the last
       * `windowUs`, retracted as time passes (the pipeline ticks its views every second).
       */
      readonly kind: "temporalFilter";
      readonly input: ViewQuery;
      readonly timeColumn: string;
      readonly windowUs: number;
      readonly inclusive: boolean;
    }
  | {
      /** `q1 UNION ALL q2 ...`: every input's rows, columns by position, named as the first input names them. */
      readonly kind: "union";
      readonly inputs: readonly ViewQuery[];
    };

/**
 * What `CREATE SINK` says: what it reads (a relation by name, or a query planned as an implicit
 * view), its WITH options as written (validated by `@jetflow/sinks`) and its format.
 */
export interface SinkSpec {
  readonly from:
    | { readonly kind: "relation"; readonly name: string }
    | { readonly kind: "query"; readonly query: ViewQuery };
  readonly with: Readonly<Record<string, string>>;
  /** `FORMAT PLAIN | UPSERT | DEBEZIUM ENCODE JSON`; undefined when only `type` says it. */
  readonly format: "plain" | "upsert" | "debezium" | undefined;
}

/** One statement of a SQL file, as the SQL front end hands it to the pipeline. */
export type Statement =
  | { readonly kind: "create_source"; readonly name: string; readonly ifNotExists: boolean; readonly spec: SourceSpec }
  | { readonly kind: "create_table"; readonly name: string; readonly ifNotExists: boolean; readonly spec: TableSpec }
  | { readonly kind: "create_view"; readonly name: string; readonly ifNotExists: boolean; readonly query: ViewQuery }
  | { readonly kind: "create_sink"; readonly name: string; readonly ifNotExists: boolean; readonly spec: SinkSpec }
  | {
      readonly kind: "drop";
      readonly what: "source" | "table" | "view" | "sink";
      readonly name: string;
      readonly ifExists: boolean;
    };

/** What the SQL front end may ask of the pipeline while planning: the columns of a relation. */
export interface Catalog {
  /** The output columns of a source, table or view; undefined when no such relation exists. */
  columnsOf(relation: string): readonly ColumnDef[] | undefined;
  /**
   * What a relation is (`"source"`, `"table"`, `"view"`); undefined when no such relation exists.
   * A catalog without it (tests) skips the checks that need it.
   */
  kindOf?(relation: string): RelationKind | undefined;
  /** Whether a sink of this name exists (undefined: the catalog knows no sinks). */
  hasSink?(name: string): boolean;
}

/**
 * Turns SQL text into statements. Statements are planned one at a time against the catalog
 * as it stands after the previous ones, so a view may use a table created above it.
 * `@jetflow/sql` provides the implementation; the pipeline takes it as an option so the
 * dependency points one way (pipeline <- sql).
 */
export interface SqlFrontend {
  parse(text: string): readonly ParsedStatement[];
}

/** A statement not yet planned: `plan(catalog)` resolves names and types. */
export interface ParsedStatement {
  /** 1-based line and column of the statement's start, for errors. */
  readonly line: number;
  readonly column: number;
  plan(catalog: Catalog): Statement;
}
