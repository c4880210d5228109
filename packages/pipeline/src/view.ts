import { type ChangeBatch, type ColumnDef, columnsOf } from "@jetflow/core";
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
import { RelationNameError } from "./errors.js";
import { Relation } from "./relation.js";
import type { ViewQuery } from "./spec.js";

/**
 * A materialized view: the chain of operators its query compiles to, and the rows it holds.
 * It listens to its input relation and pushes its own changes further down.
 */
export class ViewRelation extends Relation {
  readonly input: Relation;
  private readonly operators: ChangeOperator[];
  readonly view: MaterializedView;
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
    this.view = new MaterializedView(name, schema, { id: `${name}/rows` });
    this.detach = input.feed((change) => this.onInput(change));
  }

  get schema(): Schema {
    return this.view.schema;
  }

  get columns(): readonly ColumnDef[] {
    return columnsOf(this.schema);
  }

  snapshot(): Table {
    return this.view.snapshot();
  }

  get size(): number {
    return this.view.size;
  }

  stores(): readonly KeyedStore<unknown>[] {
    return [...this.operators.flatMap((op) => op.stores), this.view.store];
  }

  restored(): void {
    for (const op of this.operators) op.restored?.();
  }

  /** Stops listening to the input (DROP). */
  close(): void {
    this.detach();
  }

  private onInput(change: ChangeBatch): void {
    let current: ChangeBatch | undefined = change;
    for (const op of this.operators) {
      current = op.process(current);
      if (current === undefined || current.batch.numRows === 0) return;
    }
    this.view.apply(current);
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
