import { type ChangeBatch, insertsOf } from "@jetflow/core";
import {
  type ChangeOperator,
  filter,
  groupAggregate,
  MaterializedView,
  project,
  topN,
  tumble,
} from "@jetflow/operators";
import type { KeyedStore } from "@jetflow/state";
import type { Schema, Table } from "apache-arrow";
import { columnsRead } from "./columns-read.js";
import { RelationNameError } from "./errors.js";
import { Relation } from "./relation.js";
import type { ViewQuery } from "./spec.js";
import { viewKey } from "./view-key.js";

/**
 * A materialized view: the chain of operators its query compiles to, and the rows it holds.
 * It listens to its input relation and pushes its own changes further down.
 */
export class ViewRelation extends Relation {
  readonly input: Relation;
  private readonly operators: ChangeOperator[];
  /** The rows the view holds. */
  private readonly held: MaterializedView;
  private readonly detach: () => void;

  constructor(
    name: string,
    readonly query: ViewQuery,
    lookup: (relation: string) => Relation | undefined,
  ) {
    super(name, "view");
    const { input, operators, schema } = compile(name, query, lookup);
    this.input = input;
    this.operators = operators;
    this.held = new MaterializedView(name, schema, { id: `${name}/rows` });
    this.detach = input.feed((change) => this.onInput(change), columnsRead(query));
  }

  get schema(): Schema {
    return this.held.schema;
  }

  get key(): readonly string[] {
    return viewKey(this.query);
  }

  snapshot(): Table {
    return this.held.snapshot();
  }

  rows(): Record<string, unknown>[] {
    return this.held.rows();
  }

  get size(): number {
    return this.held.size;
  }

  stores(): readonly KeyedStore<unknown>[] {
    return [...this.operators.flatMap((op) => op.stores), this.held.store];
  }

  restored(): void {
    for (const op of this.operators) op.restored?.();
    this.held.restored();
  }

  /**
   * Pushes what operators hold before any input (a global aggregate's `count = 0` row) through
   * the rest of the chain. Operators whose state already holds it give nothing, so this is safe
   * after a restore.
   */
  emitInitial(): void {
    this.operators.forEach((op, i) => {
      const initial = op.initial?.();
      if (initial !== undefined) this.push(initial, i + 1);
    });
  }

  /** Expression problems turned into NULLs so far (division by zero, overflow, bad casts), summed over operators. */
  warnings(): Readonly<Record<"divisionByZero" | "overflow" | "invalidInput", number>> {
    const total = { divisionByZero: 0, overflow: 0, invalidInput: 0 };
    for (const op of this.operators) {
      if (op.warnings === undefined) continue;
      total.divisionByZero += op.warnings.divisionByZero;
      total.overflow += op.warnings.overflow;
      total.invalidInput += op.warnings.invalidInput;
    }
    return total;
  }

  /** Stops listening to the input (DROP). */
  close(): void {
    this.detach();
  }

  /**
   * Feeds the input's current rows as inserts: a view created on a running pipeline starts
   * complete (a view over a source starts empty: a source keeps no rows).
   */
  backfill(): void {
    const rows = this.input.snapshot();
    for (const batch of rows?.batches ?? []) if (batch.numRows > 0) this.push(insertsOf(batch), 0);
  }

  private onInput(change: ChangeBatch): void {
    this.push(change, 0);
  }

  /** Runs a change through the operators from index `from` on, then into the view and downstream. */
  private push(change: ChangeBatch, from: number): void {
    let current: ChangeBatch | undefined = change;
    for (let i = from; i < this.operators.length; i++) {
      current = (this.operators[i] as ChangeOperator).process(current);
      if (current === undefined || current.batch.numRows === 0) return;
    }
    this.held.apply(current);
    this.emit(current);
  }
}

/** Turns a query tree into its input relation and a chain of operators, bottom up. */
function compile(
  view: string,
  query: ViewQuery,
  lookup: (relation: string) => Relation | undefined,
): { input: Relation; operators: ChangeOperator[]; schema: Schema } {
  if (query.kind === "scan") {
    const input = lookup(query.relation);
    if (input === undefined) throw new RelationNameError(`view "${view}": relation "${query.relation}" does not exist`);
    return { input, operators: [], schema: input.schema };
  }
  const below = compile(view, query.input, lookup);
  const id = `${view}/${below.operators.length}-${query.kind}`;
  const op = operatorFor(query, below.schema, id);
  return { input: below.input, operators: [...below.operators, op], schema: op.schema };
}

function operatorFor(query: Exclude<ViewQuery, { kind: "scan" }>, schema: Schema, id: string): ChangeOperator {
  switch (query.kind) {
    case "filter":
      return filter(schema, query.predicate);
    case "project":
      return project(schema, query.columns);
    case "aggregate":
      return groupAggregate(schema, query.groupBy, query.aggregates, { id });
    case "tumble":
      return tumble(schema, query.timeColumn, query.sizeUs);
    case "topN":
      return topN(schema, query.orderBy, query.limit, query.offset, { id });
  }
}
