import type { ChangeBatch, ColumnDef } from "@jetflow/core";
import type { KeyedStore } from "@jetflow/state";
import type { Schema, Table } from "apache-arrow";

export type RelationKind = "source" | "table" | "view";

/**
 * A named node of the dataflow: a source, a table or a view. It pushes its changes to the
 * relations downstream synchronously, so between two source batches the whole graph is consistent.
 */
export abstract class Relation {
  private readonly downstream: ((change: ChangeBatch) => void)[] = [];

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

  /** Feeds every change of this relation to `sink` (a downstream view). Returns the unsubscribe. */
  feed(sink: (change: ChangeBatch) => void): () => void {
    this.downstream.push(sink);
    return () => {
      const i = this.downstream.indexOf(sink);
      if (i >= 0) this.downstream.splice(i, 1);
    };
  }

  get hasDownstream(): boolean {
    return this.downstream.length > 0;
  }

  protected emit(change: ChangeBatch): void {
    for (const sink of this.downstream) sink(change);
  }
}
