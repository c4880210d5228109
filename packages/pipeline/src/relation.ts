import type { ChangeBatch, ColumnDef } from "@jetflow/core";
import type { KeyedStore } from "@jetflow/state";
import type { Schema, Table } from "apache-arrow";

export type RelationKind = "source" | "table" | "view";

/**
 * A named node of the dataflow: a source, a table or a view. It pushes its changes to the
 * relations downstream synchronously, so between two source batches the whole graph is consistent.
 */
export abstract class Relation {
  /** The sinks fed, in the order they came, each with the columns it reads (undefined: every column). */
  private readonly downstream = new Map<(change: ChangeBatch) => void, readonly string[] | undefined>();

  constructor(
    readonly name: string,
    readonly kind: RelationKind,
  ) {}

  abstract get schema(): Schema;
  abstract get columns(): readonly ColumnDef[];
  /** The relation's current rows; undefined for a source, which keeps none. */
  abstract snapshot(): Table | undefined;
  /** The keyed stores holding its state, for checkpoints. */
  abstract stores(): readonly KeyedStore<unknown>[];
  /** Rows it holds now (0 for a source). */
  abstract get size(): number;

  /**
   * Feeds every change of this relation to `sink` (a downstream view), which reads only
   * `columns` of it when given (other columns may then arrive NULL). Returns the unsubscribe.
   */
  feed(sink: (change: ChangeBatch) => void, columns?: readonly string[]): () => void {
    this.downstream.set(sink, columns);
    this.downstreamChanged();
    return () => {
      this.downstream.delete(sink);
      this.downstreamChanged();
    };
  }

  /** The names of the columns downstream reads; undefined when some sink reads every column. */
  protected columnsRead(): string[] | undefined {
    const read = new Set<string>();
    for (const columns of this.downstream.values()) {
      if (columns === undefined) return undefined;
      for (const c of columns) read.add(c);
    }
    return [...read];
  }

  /** Called when a sink is added or removed. */
  protected downstreamChanged(): void {}

  get hasDownstream(): boolean {
    return this.downstream.size > 0;
  }

  protected emit(change: ChangeBatch): void {
    for (const sink of this.downstream.keys()) sink(change);
  }
}
