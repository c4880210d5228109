import { type ChangeBatch, type ColumnDef, columnsOf, insertsOf, type RawBatch } from "@jetflow/core";
import { type NatsSource, type NatsSourceConfig, resolveNatsOptions } from "@jetflow/connector-nats";
import { createDecoder, type Decoder, type BadMessage } from "@jetflow/decoders";
import { appendOnly, type ChangeOperator, MaterializedView, type UpsertOperator, upsert } from "@jetflow/operators";
import type { KeyedStore } from "@jetflow/state";
import type { RecordBatch, Schema, Table } from "apache-arrow";
import { type Observable, Subject } from "rxjs";
import { type BadMessagePolicy, splitWithOptions } from "./bad-message-policy.js";
import { BadMessageError } from "./errors.js";
import { Relation } from "./relation.js";
import type { IngestSpec, TableSpec } from "./spec.js";

/** What an ingest relation reports per batch, for metrics. */
export interface BatchReport {
  readonly messages: number;
  readonly bytes: number;
  readonly rows: number;
  readonly bad: readonly BadMessage[];
}

/**
 * A CREATE SOURCE or CREATE TABLE: a NATS source, a decoder, and for a table the operator that
 * keeps its rows (upsert by primary key, or append-only storage).
 *
 * Built in two steps: the constructor validates everything that needs no I/O (WITH options,
 * bad-message policy), `prepare()` builds the decoder (a protobuf schema may be fetched) and
 * with it the schema that views are planned against.
 */
export class IngestRelation extends Relation {
  readonly config: NatsSourceConfig;
  readonly policy: BadMessagePolicy;
  private decoder: Decoder | undefined;
  private operator: ChangeOperator | undefined;
  /** Where a table's rows live: its upsert state, or (no primary key) an append-only row store. */
  private rowStore: UpsertOperator | MaterializedView | undefined;
  /** Set for a table with a primary key. */
  private keyed: UpsertOperator | undefined;
  /** Set for a table without a primary key: every change goes into it. */
  private appendStore: MaterializedView | undefined;
  /** Per consumer key, the last stream sequence whose message is fully processed. */
  readonly offsets = new Map<string, number>();
  source: NatsSource | undefined;
  private changes: Subject<ChangeBatch> | undefined;

  constructor(
    name: string,
    kind: "source" | "table",
    readonly spec: IngestSpec | TableSpec,
  ) {
    super(name, kind);
    const { connector, policy } = splitWithOptions(spec.with);
    this.config = resolveNatsOptions(connector);
    this.policy = policy;
  }

  get primaryKey(): readonly string[] {
    return "primaryKey" in this.spec ? this.spec.primaryKey : [];
  }

  async prepare(): Promise<void> {
    this.decoder = await createDecoder({
      format: this.spec.format,
      columns: this.spec.columns,
      include: this.spec.include,
    });
    const schema = this.decoder.schema;
    if (this.kind === "source") {
      this.operator = appendOnly(schema);
    } else if (this.primaryKey.length > 0) {
      const keyed = upsert(schema, this.primaryKey, { id: `${this.name}/upsert` });
      this.operator = keyed;
      this.rowStore = keyed;
      this.keyed = keyed;
      this.downstreamChanged();
    } else {
      this.operator = appendOnly(schema);
      this.appendStore = new MaterializedView(this.name, schema, { id: `${this.name}/rows` });
      this.rowStore = this.appendStore;
    }
  }

  get schema(): Schema {
    return this.prepared().decoder.schema;
  }

  /** A keyed table's retractions carry only the columns its views read (see `UpsertOperator.emitOnly`). */
  protected override downstreamChanged(): void {
    this.keyed?.emitOnly(this.columnsRead());
  }

  get columns(): readonly ColumnDef[] {
    return columnsOf(this.schema);
  }

  snapshot(): Table | undefined {
    return this.rowStore?.snapshot();
  }

  /** The table's rows as plain objects (the same conversion views use); undefined for a source. */
  rows(): Record<string, unknown>[] | undefined {
    return this.rowStore?.rows();
  }

  /** A keyed table's rows whose primary key equals a row of `probe` (the key columns): a probe, not a scan. */
  lookupByKey(probe: RecordBatch): Table {
    if (this.keyed === undefined) throw new Error(`internal: "${this.name}" has no primary key to look up by`);
    return this.keyed.lookup(probe);
  }

  /** Every change of the table (or every insert of the source) from now on. */
  get changes$(): Observable<ChangeBatch> {
    if (this.changes === undefined) {
      const subject = new Subject<ChangeBatch>();
      this.feed((c) => subject.next(c));
      this.changes = subject;
    }
    return this.changes.asObservable();
  }

  get size(): number {
    return this.rowStore?.size ?? 0;
  }

  stores(): readonly KeyedStore<unknown>[] {
    return [...(this.operator?.stores ?? []), ...(this.appendStore === undefined ? [] : [this.appendStore.store])];
  }

  /** Restores derived indexes after the stores were loaded from a checkpoint. */
  restored(): void {
    this.operator?.restored?.();
    this.appendStore?.restored();
  }

  /**
   * Decodes a raw batch, applies the table semantics and pushes the change downstream, then
   * records the batch's offsets as processed. Synchronous: when it returns, the whole graph
   * reflects the batch.
   * @throws BadMessageError under the `fail` policy (offsets are then not advanced)
   */
  process(raw: RawBatch): BatchReport {
    const { decoder, operator } = this.prepared();
    const { batch, bad } = decoder.decode(raw);
    if (bad.length > 0 && this.policy.kind === "fail") {
      const first = bad[0] as BadMessage;
      throw new BadMessageError(this.name, first.sequence, first.reason);
    }
    if (batch.numRows > 0) {
      const change: ChangeBatch | undefined = operator.process(insertsOf(batch));
      if (change !== undefined && change.batch.numRows > 0) {
        this.appendStore?.apply(change);
        this.emit(change);
      }
    }
    for (const [consumer, seq] of raw.offsets) this.offsets.set(consumer, seq);
    let bytes = 0;
    for (const p of raw.payloads) bytes += p.byteLength;
    return { messages: raw.length, bytes, rows: batch.numRows, bad };
  }

  private prepared(): { decoder: Decoder; operator: ChangeOperator } {
    if (this.decoder === undefined || this.operator === undefined) {
      throw new Error(`internal: relation "${this.name}" used before prepare()`);
    }
    return { decoder: this.decoder, operator: this.operator };
  }
}
