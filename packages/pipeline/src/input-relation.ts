import type { ChangeBatch } from "@jetflow/core";
import {
  type ChangeOperator,
  type KeyedRows,
  type TableOperator,
  type UpsertOperator,
  appendOnly,
  appendOnlyTable,
  rowsIn,
  upsert,
} from "@jetflow/operators";
import type { KeyedStore } from "@jetflow/state";
import type { RecordBatch, Schema, Table } from "apache-arrow";
import type { IngestHost } from "./ingest-host.js";
import { Relation, type RelationKind } from "./relation.js";

/** Where an input's rows go: nowhere (a source, a fed view), or a table's storage. */
type Storage =
  | { readonly kind: "pass"; readonly operator: ChangeOperator }
  | { readonly kind: "append_only"; readonly operator: TableOperator }
  | { readonly kind: "keyed"; readonly operator: UpsertOperator };

/**
 * A relation whose changes come from outside the dataflow: a NATS source or table
 * (`IngestRelation`) or a feed (`FeedRelation`). It keeps what its kind says, the same way for
 * both: a table with a primary key upserts by it (a retraction deletes its key), a table without
 * one appends, a source or a fed view passes every change on and keeps nothing.
 *
 * Opened after the restore with the offsets a checkpoint recorded for it, it applies changes
 * until it is unsubscribed (a stop) and closed.
 */
export abstract class InputRelation extends Relation {
  private storage: Storage | undefined;

  constructor(name: string, kind: RelationKind) {
    super(name, kind);
  }

  /** Connects (resuming after `offsets`, per consumer key, from a checkpoint) and applies changes from now on. */
  abstract open(host: IngestHost, offsets: Readonly<Record<string, number>>): Promise<void>;
  /** Per consumer key, the last change fully applied: what a checkpoint records. */
  abstract offsets(): Record<string, number>;
  /** Changes known to be waiting. */
  abstract lag(): number;
  /** Resolves once everything that was waiting when it opened is applied. */
  abstract caughtUp(): Promise<void>;
  /** Stops applying changes (a stop is coming). */
  abstract unsubscribe(): void;
  abstract close(): Promise<void>;

  /** Sets up what the relation keeps for rows of `schema`, by its kind and {@link key}. */
  protected keep(schema: Schema): void {
    if (this.kind !== "table") this.storage = { kind: "pass", operator: appendOnly(schema) };
    else if (this.key.length === 0)
      this.storage = { kind: "append_only", operator: appendOnlyTable(schema, { id: `${this.name}/rows` }) };
    else {
      this.storage = { kind: "keyed", operator: upsert(schema, this.key, { id: `${this.name}/upsert` }) };
      this.downstreamChanged();
    }
  }

  /** Whether {@link keep} ran (the schema is known). */
  protected get kept(): boolean {
    return this.storage !== undefined;
  }

  /** Applies a change by the relation's kind and pushes what it makes downstream, synchronously. */
  protected apply(change: ChangeBatch): void {
    const out = this.stored().operator.process(change);
    if (out !== undefined && rowsIn(out) > 0) this.emit(out);
  }

  get schema(): Schema {
    return this.stored().operator.schema;
  }

  /** A keyed table's retractions carry only the columns its downstream reads (see `UpsertOperator.emitOnly`). */
  protected override downstreamChanged(): void {
    if (this.storage?.kind === "keyed") this.storage.operator.emitOnly(this.columnsRead());
  }

  snapshot(): Table | undefined {
    return this.table()?.snapshot();
  }

  rows(): Record<string, unknown>[] | undefined {
    return this.table()?.rows();
  }

  get size(): number {
    return this.table()?.size ?? 0;
  }

  stores(): readonly KeyedStore<unknown>[] {
    return this.storage?.operator.stores ?? [];
  }

  /** A keyed table finds rows by primary key in its upsert state: one probe per key. */
  override probeByKey(keys: RecordBatch): Table | undefined {
    return this.storage?.kind === "keyed" ? this.storage.operator.lookup(keys) : undefined;
  }

  override keyedRows(): KeyedRows | undefined {
    return this.storage?.kind === "keyed" ? this.storage.operator.rowsByKey : undefined;
  }

  restored(): void {
    this.storage?.operator.restored?.();
  }

  private table(): TableOperator | undefined {
    return this.storage === undefined || this.storage.kind === "pass" ? undefined : this.storage.operator;
  }

  private stored(): Storage {
    if (this.storage === undefined) throw new Error(`internal: relation "${this.name}" used before it was resolved`);
    return this.storage;
  }
}
