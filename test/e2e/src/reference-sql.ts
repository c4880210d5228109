import { PGlite } from "@electric-sql/pglite";

/**
 * A real SQL engine (PostgreSQL compiled to WebAssembly) to check views against: load the final
 * table contents, run the view's query, compare.
 */
export class ReferenceSql {
  private constructor(private readonly db: PGlite) {}

  static async open(): Promise<ReferenceSql> {
    const db = new PGlite();
    await db.waitReady;
    return new ReferenceSql(db);
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  /** Inserts rows (objects keyed by column name) in chunks. */
  async insert(table: string, columns: readonly string[], rows: readonly Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      const params: unknown[] = [];
      const tuples = chunk.map((row) => `(${columns.map((c) => `$${params.push(row[c] ?? null)}`).join(", ")})`);
      await this.db.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}`, params);
    }
  }

  /** Runs a query; rows come back as objects with numbers normalized the way the CLI prints them. */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const result = await this.db.query<Record<string, unknown>>(sql);
    return result.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, normalize(v)])));
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/** Values as the CLI's JSON Lines show them: bigints as numbers when safe, numeric text as numbers. */
function normalize(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v) && Number.isFinite(Number(v))) return Number(v);
  if (v instanceof Date) return v.toISOString();
  return v;
}

/** Sorts rows by all columns in order (as the CLI does: typed, NULL last) so two row sets compare with deep equality. */
export function sortRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return [...rows].sort((a, b) => {
    const va = Object.values(a);
    const vb = Object.values(b);
    for (let i = 0; i < va.length; i++) {
      const d = compareValues(va[i], vb[i]);
      if (d !== 0) return d;
    }
    return 0;
  });
}

function compareValues(x: unknown, y: unknown): number {
  if (x === y) return 0;
  if (x === null || x === undefined) return 1;
  if (y === null || y === undefined) return -1;
  if (typeof x === "number" && typeof y === "number") return x - y;
  const sx = typeof x === "string" ? x : JSON.stringify(x);
  const sy = typeof y === "string" ? y : JSON.stringify(y);
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}
