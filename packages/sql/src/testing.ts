import type { ColumnDef, SqlType } from "@jetflow/core";
import type { Catalog } from "@jetflow/pipeline";

/**
 * An in-memory {@link Catalog} for tests: relation name -> columns written as `"name type"`.
 *
 * @example catalogOf({ t: ["id integer", "ts timestamptz"] })
 */
export function catalogOf(relations: Record<string, readonly string[]>): Catalog {
  const map = new Map<string, ColumnDef[]>();
  for (const [name, columns] of Object.entries(relations)) {
    map.set(
      name,
      columns.map((c) => {
        const space = c.indexOf(" ");
        return { name: c.slice(0, space), type: { kind: c.slice(space + 1) } as SqlType };
      }),
    );
  }
  return { columnsOf: (relation) => map.get(relation) };
}
