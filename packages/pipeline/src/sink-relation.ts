import { type ChangeBatch, insertsOf } from "@jetflow/core";
import type { SinkInput } from "@jetflow/sinks";
import type { KeyedStore } from "@jetflow/state";
import type { EpochSink } from "./extension.js";
import { FeedRelation } from "./feed.js";
import { IngestRelation } from "./ingest.js";
import type { Relation } from "./relation.js";
import type { SinkSpec, ViewQuery } from "./spec.js";
import { ViewRelation } from "./view.js";

/**
 * What a sink is: a `CREATE SINK` (its spec: a NATS sink), or an output (`Pipeline.output`): an
 * {@link EpochSink} given from outside, reading a relation.
 */
export type SinkOrigin =
  | { readonly kind: "sink"; readonly spec: SinkSpec }
  | { readonly kind: "output"; readonly relation: string };

/**
 * A sink fed by a relation (FROM, or an output's relation) or by an implicit view of its own
 * (AS SELECT, planned as any view and checkpointed with the sink): an {@link EpochSink}, a
 * `NatsSink` for `CREATE SINK`. The pipeline seals its epoch when a checkpoint captures and lets
 * it publish once the checkpoint committed.
 */
export class SinkRelation {
  /** The implicit view of `AS SELECT`, undefined for `FROM relation` and outputs. */
  readonly view: ViewRelation | undefined;
  readonly input: Relation;
  private detach: (() => void) | undefined;

  constructor(
    readonly name: string,
    readonly origin: SinkOrigin,
    readonly sink: EpochSink,
    lookup: (relation: string) => Relation | undefined,
  ) {
    const from = origin.kind === "sink" ? origin.spec.from : ({ kind: "relation", name: origin.relation } as const);
    if (from.kind === "query") {
      this.view = new ViewRelation(name, from.query, lookup);
      this.input = this.view;
    } else {
      const input = lookup(from.name);
      if (input === undefined) throw new Error(`internal: sink "${name}" reads a relation that does not exist`);
      this.input = input;
      this.view = undefined;
    }
    this.sink.bind(describe(this.input, lookup));
    this.detach = this.input.feed((change: ChangeBatch) => this.sink.onChange(change));
  }

  /** The sink's stores and its implicit view's. */
  stores(): readonly KeyedStore<unknown>[] {
    return [...(this.view?.stores() ?? []), this.sink.store];
  }

  /** After a restore: the sink's sealed epochs and the implicit view's indexes. */
  restored(): void {
    this.view?.restored();
    this.sink.restored();
  }

  /** A sink created on a running pipeline starts with the relation's current rows. */
  backfill(): void {
    if (this.view !== undefined) {
      this.view.emitInitial();
      this.view.backfill();
      return;
    }
    const rows = this.input.snapshot();
    for (const batch of rows?.batches ?? []) if (batch.numRows > 0) this.sink.onChange(insertsOf(batch));
  }

  /** Whether this sink reads `r` (directly or through its implicit view). */
  reads(r: Relation): boolean {
    return this.input === r || this.view?.inputs.includes(r) === true;
  }

  async close(): Promise<void> {
    this.detach?.();
    this.detach = undefined;
    this.view?.close();
    await this.sink.close();
  }
}

/** The key and append-only-ness of a relation, as a sink's format needs them. */
export function describe(r: Relation, lookup: (relation: string) => Relation | undefined): SinkInput {
  const key = r.key.length > 0 ? r.key : undefined;
  const appendOnly =
    r instanceof IngestRelation
      ? key === undefined
      : r instanceof ViewRelation
        ? appendOnlyQuery(r.query, lookup)
        : r instanceof FeedRelation && r.appendOnly;
  return { name: r.name, columns: r.columns, key, appendOnly };
}

/** Whether a query only ever inserts: filters, projections and windows over relations that only insert. */
function appendOnlyQuery(q: ViewQuery, lookup: (relation: string) => Relation | undefined): boolean {
  switch (q.kind) {
    case "scan": {
      const r = lookup(q.relation);
      return r !== undefined && describe(r, lookup).appendOnly;
    }
    case "filter":
    case "project":
    case "tumble":
      return appendOnlyQuery(q.input, lookup);
    default:
      // Aggregates, top-N and joins (an outer join retracts its NULL-padded rows) can retract.
      return false;
  }
}
