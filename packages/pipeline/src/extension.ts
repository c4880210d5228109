import type { ChangeBatch, ColumnDef } from "@jetflow/core";
import type { SinkInput } from "@jetflow/sinks";
import type { KeyedStore } from "@jetflow/state";
import type { Observable } from "rxjs";
import type { RelationKind } from "./relation.js";
import type { IngestSpec, SinkSpec, TableSpec, ViewQuery } from "./spec.js";

/**
 * The ways in and out of a pipeline other than NATS sources and `CREATE SINK`: what a group of
 * processes plugs its exchange edges into (see `@jetflow/group`). A pipeline knows nothing of
 * groups; it reads a feed as it reads a source and writes an epoch sink as it writes a sink.
 */

/** One change a feed delivers, with the offset a checkpoint records once it is applied. */
export interface FeedChange {
  readonly change: ChangeBatch;
  /** Increasing; the pipeline checkpoints the last one applied and reopens the feed after it. */
  readonly offset: number;
}

/** A running feed: changes that come from outside the pipeline. */
export interface ChangeFeed {
  /** The changes, in order; an error fails the pipeline. */
  readonly changes$: Observable<FeedChange>;
  /** Changes known to be waiting (0 when unknown). */
  lag(): number;
  /** Resolves once everything that was in the feed when it opened was delivered. */
  caughtUp(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A relation fed by a {@link ChangeFeed}. To the views planned over it, it is what `kind` says:
 * a `table` upserts the inserts it is fed by `key` (its primary key) and keeps its rows; a
 * `source` passes inserts on and keeps nothing; a `view` passes a changelog on as it comes
 * (inserts and retractions) and keeps nothing.
 */
export interface FeedSpec {
  readonly kind: RelationKind;
  /** The columns, or `{ like: "r" }`: those of relation `r`, defined before this one. */
  readonly columns: readonly ColumnDef[] | { readonly like: string };
  /** A table's primary key (may be empty: append-only); for a view or source, the key rows are known by (may be empty). */
  readonly key: readonly string[];
  /** Opens the feed after `offset` (the last one a restored checkpoint applied; undefined on a fresh start). */
  open(after: number | undefined): Promise<ChangeFeed>;
}

/**
 * A sink the pipeline seals at each checkpoint's capture and lets publish once the checkpoint
 * committed: what `CREATE SINK` runs (`NatsSink` of `@jetflow/sinks`), and what
 * `Pipeline.output()` takes from outside.
 */
export interface EpochSink {
  /** What it must keep across a restart (sealed, unpublished epochs): checkpointed with the pipeline. */
  readonly store: KeyedStore<unknown>;
  /** Told once, before open(): what it reads (name, columns, key, whether append-only). */
  bind(input: SinkInput): void;
  /** Connects (after the restore). */
  open(): Promise<void>;
  /** After the restore (or on a fresh start): picks up what its store holds. */
  restored(): void;
  /** After restored(): starts over what a fresh state needs (say, a new message-id prefix). */
  resetIfFresh(): Promise<void>;
  /** A change of its input, buffered into the open epoch. */
  onChange(change: ChangeBatch): void;
  /** Messages handed to the server and not acked yet. */
  readonly pending: number;
  /** Closes the open epoch: called in the tick of a checkpoint's capture. */
  seal(): void;
  /** The checkpoint holding the sealed epochs committed: they may be published now. */
  committed(): void;
  /** Resolves once everything committed so far is published and acked. */
  drained(): Promise<void>;
  /** Resolves once at most `n` messages are unacked. */
  pendingAtMost(n: number): Promise<void>;
  close(): Promise<void>;
}

/** A relation as `Pipeline.plan()` resolved it. */
export interface PlannedRelation {
  readonly name: string;
  readonly kind: RelationKind;
  readonly columns: readonly ColumnDef[];
  /** A table's primary key, an aggregate view's group columns; empty when rows have no key. */
  readonly key: readonly string[];
  /** A source's or table's CREATE (a table's carries `primaryKey`). */
  readonly ingest?: IngestSpec | TableSpec;
  /** A view's query. */
  readonly query?: ViewQuery;
}

/** What `Pipeline.plan()` returns: the relations and sinks, in creation order, after every DROP. */
export interface PipelinePlan {
  readonly relations: readonly PlannedRelation[];
  readonly sinks: readonly { readonly name: string; readonly spec: SinkSpec }[];
}
