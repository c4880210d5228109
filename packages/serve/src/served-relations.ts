import type { ColumnDef } from "@jetflow/core";
import type { Equalities, KeyedLookup } from "@jetflow/pipeline";
import type { Table } from "apache-arrow";
import type { Observable } from "rxjs";
import type { StatusReading } from "./status-board.js";

/** A relation's entry in `GET /api/relations`. */
export interface RelationSummary {
  readonly name: string;
  /** `source`, `table`, `view` or `sink`. */
  readonly kind: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly primaryKey: readonly string[];
  /** Rows held now (0 for a source or sink, which keep none). */
  readonly rows: number;
}

/**
 * What a relation's changes stream reads: its rows now and its changes from now on, taken at one
 * instant (`snapshot()` and subscribing to `changeEvents$` in the same turn miss nothing and count
 * nothing twice).
 */
export interface ChangeFeed {
  readonly columns: readonly ColumnDef[];
  /** The rows now; undefined for a source (it keeps none). */
  snapshot(): Table | undefined;
  /** Each change as the `data` of a `change` event: the JSON array of `{"op": "+"|"-", "row"}`. */
  readonly changeEvents$: Observable<string>;
}

/** One relation as the HTTP server and the NATS service answer for it. */
export interface ServedRelation {
  readonly name: string;
  /** Its columns (SQL types): what formats its rows. */
  readonly columns: readonly ColumnDef[];
  /**
   * A probe by key answered from the relation's own values (a row or two, no Arrow table), or
   * undefined when `equal` is not one (then {@link lookup} answers).
   */
  lookupByKey(equal: Equalities): Promise<KeyedLookup | undefined>;
  /**
   * The rows whose columns equal `equal` (values parsed by the column's type), as one Arrow table
   * taken at one instant.
   * @throws LookupError (or an error whose `cause` is one, code `UNKNOWN_COLUMN`/`INVALID_VALUE`) for a bad request
   */
  lookup(equal: Equalities): Promise<Table>;
  /** Its change stream for `/changes`. */
  changeFeed(): Promise<ChangeFeed>;
}

/** What a relation set announces as it changes (a pipeline's `exec()` creating or dropping one). */
export type RelationEvent =
  | { readonly type: "created"; readonly relation: string }
  | { readonly type: "dropped"; readonly relation: string };

/**
 * Relations to answer queries for: what the NATS service needs ({@link natsService},
 * {@link groupNatsService}), and the HTTP server with the rest of {@link ServedRelations}.
 */
export interface RelationSource {
  /** The names of the relations that have rows to serve (tables, views, sources), in creation order. */
  names(): readonly string[];
  /**
   * A relation by name.
   * @throws RequestError (404) for a sink, RelationNameError for an unknown name
   */
  relation(name: string): ServedRelation;
  /** Relations created or dropped while serving. @default none: the set is fixed */
  readonly events$?: Observable<RelationEvent>;
}

/**
 * What the HTTP server ({@link serveRelations}) serves, whatever computes it: one pipeline
 * ({@link pipelineRelations}) or a member of a group ({@link groupRelations}) answering for the
 * whole of every relation. Both are formatted by the same code, so the same rows give the same bytes.
 */
export interface ServedRelations extends RelationSource {
  /** `GET /api/relations`: relations, then sinks. */
  list(): Promise<readonly RelationSummary[]>;
  /** `/readyz`. */
  readonly ready: boolean;
  /** `/api/status`: what the web page plots. */
  status(): StatusReading;
  /** `/metrics`: Prometheus text. */
  metricsText(): string;
  /** Counts an SSE client dropped for not reading (`jetflow_sse_clients_dropped_total`). */
  countDroppedClient(): void;
  /** Stops watching what it watches (status events); serving ends. */
  close(): void;
}
