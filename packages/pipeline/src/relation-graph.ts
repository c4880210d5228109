import { createHash } from "node:crypto";
import type { KeyedStore } from "@jetflow/state";
import type { PipelineOffsets } from "./checkpoint-coordinator.js";
import { RelationNameError } from "./errors.js";
import { FeedRelation } from "./feed.js";
import { IngestRelation } from "./ingest.js";
import { InputRelation } from "./input-relation.js";
import type { Relation, RelationKind } from "./relation.js";
import type { Catalog } from "./spec.js";
import { ViewRelation } from "./view.js";

/**
 * The pipeline's relations by name, in creation order: one namespace for sources, tables and
 * views, as in PostgreSQL. Knows what depends on what, and what a checkpoint must hold.
 */
export class RelationGraph {
  private readonly relations = new Map<string, Relation>();

  names(): string[] {
    return [...this.relations.keys()];
  }

  has(name: string): boolean {
    return this.relations.has(name);
  }

  get(name: string): Relation | undefined {
    return this.relations.get(name);
  }

  /** The relation, or an error listing the known names. */
  require(name: string): Relation {
    const r = this.relations.get(name);
    if (r === undefined) {
      const known = this.names();
      throw new RelationNameError(`no relation "${name}"${known.length > 0 ? ` (known: ${known.join(", ")})` : ""}`);
    }
    return r;
  }

  /** Fails when the name is taken. */
  claim(name: string): void {
    const existing = this.relations.get(name);
    if (existing !== undefined) throw new RelationNameError(`${existing.kind} "${name}" already exists`);
  }

  add(relation: Relation): void {
    this.claim(relation.name);
    this.relations.set(relation.name, relation);
  }

  /**
   * Takes a relation out (DROP): it must be of kind `what` and nothing may read from it.
   * Returns it (a view is already detached from its input), or undefined under IF EXISTS.
   */
  remove(what: RelationKind, name: string, ifExists: boolean): Relation | undefined {
    const r = this.relations.get(name);
    if (r === undefined) {
      if (ifExists) return undefined;
      throw new RelationNameError(`cannot drop ${what} "${name}": it does not exist`);
    }
    if (r.kind !== what) throw new RelationNameError(`"${name}" is a ${r.kind}, not a ${what}`);
    const dependents = this.views().filter((v) => v.inputs.includes(r));
    if (dependents.length > 0) {
      throw new RelationNameError(
        `cannot drop ${what} "${name}": ${dependents.map((d) => `view "${d.name}"`).join(", ")} depend(s) on it; drop those first`,
      );
    }
    if (r instanceof ViewRelation) r.close();
    this.relations.delete(name);
    return r;
  }

  ingests(): IngestRelation[] {
    return [...this.relations.values()].filter((r): r is IngestRelation => r instanceof IngestRelation);
  }

  /** The relations fed from outside: sources and tables (NATS), and feeds. */
  inputs(): InputRelation[] {
    return [...this.relations.values()].filter((r): r is InputRelation => r instanceof InputRelation);
  }

  views(): ViewRelation[] {
    return [...this.relations.values()].filter((r): r is ViewRelation => r instanceof ViewRelation);
  }

  all(): Relation[] {
    return [...this.relations.values()];
  }

  /** What the SQL front end may ask while planning. */
  catalog(): Catalog {
    return {
      columnsOf: (relation) => this.relations.get(relation)?.columns,
      kindOf: (relation) => this.relations.get(relation)?.kind,
    };
  }

  /** Every store of every relation, in a stable order. */
  stores(): KeyedStore<unknown>[] {
    return this.all().flatMap((r) => r.stores());
  }

  /** Per input (source, table, feed), per consumer key, the last fully processed offset. */
  offsets(): PipelineOffsets {
    const out: PipelineOffsets = {};
    for (const r of this.inputs()) out[r.name] = r.offsets();
    return out;
  }

  /**
   * A hash of what the state means: names, kinds, columns, keys and queries (no WITH options, so
   * no secrets); a feed counts by its name, kind, columns and key.
   */
  fingerprint(): string {
    const parts = this.all().map((r) => [
      r.name,
      r.kind,
      r.columns.map((c) => [c.name, c.type]),
      r instanceof IngestRelation
        ? r.primaryKey
        : r instanceof ViewRelation
          ? r.query
          : r instanceof FeedRelation
            ? { feed: r.key }
            : null,
    ]);
    return createHash("sha256")
      .update(JSON.stringify(parts, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)))
      .digest("hex");
  }
}
