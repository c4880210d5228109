import type { ChangeBatch } from "@jetflow/core";
import type { Table } from "apache-arrow";
import type { Observable } from "rxjs";
import { RelationNameError } from "./errors.js";
import { FeedRelation } from "./feed.js";
import type { Relation } from "./relation.js";

/** What a view (or table) offers its readers. */
export interface ViewHandle {
  readonly name: string;
  /** The current rows as an Arrow Table. */
  snapshot(): Table;
  /** The current rows as plain objects. */
  rows(): Record<string, unknown>[];
  /** Every change from now on, one emission per batch. */
  readonly changes$: Observable<ChangeBatch>;
}

/**
 * The view handle of a relation that keeps rows (a table or a view; see `Pipeline.view`).
 * @throws RelationNameError for a source or a fed source or view, which keep none
 */
export function viewHandle(r: Relation): ViewHandle {
  if (r.kind === "source") {
    throw new RelationNameError(`"${r.name}" is a source: it keeps no rows; create a table or a view to read it`);
  }
  if (r instanceof FeedRelation && !r.keepsRows) {
    throw new RelationNameError(`"${r.name}" is a fed ${r.kind}: it keeps no rows; create a view to read it`);
  }
  return {
    name: r.name,
    snapshot: () => r.snapshot() as Table,
    rows: () => r.rows() as Record<string, unknown>[],
    changes$: r.changes$,
  };
}
