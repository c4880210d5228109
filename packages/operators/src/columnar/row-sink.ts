import { type ChangeBatch, RETRACT, type SqlType } from "@jetflow/core";
import { ColumnsChange } from "./columns-change.js";
import type { Schema } from "apache-arrow";
import { type Col, type ColValues, type FixedValues, fixedValues, type Rep, repOf } from "./col.js";
import { fromPlain, type Plain } from "./plain.js";

const INITIAL_CAPACITY = 64;

/**
 * One output column of a {@link RowSink}: plain values written straight into the typed array
 * of its {@link Col} representation (no plain array per column, no second conversion pass).
 * Strings, bytes and nested values are collected as they are and packed at the end.
 */
class SinkColumn {
  private readonly rep: Rep;
  private fixed: FixedValues | undefined;
  private readonly items: Plain[] = [];
  private valid: Uint8Array;
  private nulls = 0;

  constructor(
    readonly type: SqlType,
    capacity: number,
  ) {
    this.rep = repOf(type);
    this.valid = new Uint8Array(capacity);
    this.fixed = fixedValues(this.rep, capacity);
  }

  /** Writes `value` at row `i`; the arrays hold at least `i + 1` slots. */
  set(i: number, value: Plain): void {
    if (value === null || value === undefined) {
      this.nulls++;
      if (this.fixed === undefined) this.items[i] = null;
      return;
    }
    this.valid[i] = 1;
    switch (this.rep) {
      case "str":
      case "bytes":
      case "nested":
        this.items[i] = value;
        return;
      case "bool":
        (this.fixed as Uint8Array)[i] = value === true ? 1 : 0;
        return;
      case "i64":
      case "micros":
        (this.fixed as BigInt64Array)[i] = typeof value === "bigint" ? value : BigInt(value as number);
        return;
      case "interval": {
        const [months, days, nanos] = value as [number, number, bigint];
        const v = this.fixed as Int32Array;
        v[4 * i] = months;
        v[4 * i + 1] = days;
        v[4 * i + 2] = Number(BigInt.asIntN(32, nanos));
        v[4 * i + 3] = Number(BigInt.asIntN(32, nanos >> 32n));
        return;
      }
      default:
        (this.fixed as Float64Array)[i] = value as number;
    }
  }

  grow(capacity: number): void {
    const valid = new Uint8Array(capacity);
    valid.set(this.valid);
    this.valid = valid;
    const old = this.fixed;
    if (old === undefined) return;
    const next = fixedValues(this.rep, capacity) as FixedValues;
    next.set(old as never);
    this.fixed = next;
  }

  /** The column's first `n` rows as a Col (nested values through {@link fromPlain}). */
  col(n: number): Col {
    const valid = this.nulls > 0 ? this.valid.subarray(0, n) : undefined;
    if (this.rep === "nested") return fromPlain(this.items.slice(0, n), this.type);
    const stride = this.rep === "interval" ? 4 : 1;
    const values: ColValues = this.fixed === undefined ? (this.items as string[]) : this.fixed.subarray(0, n * stride);
    if (valid !== undefined && this.fixed === undefined) {
      // NULL slots hold a placeholder the encoders accept.
      const empty = this.rep === "bytes" ? new Uint8Array(0) : "";
      for (let i = 0; i < n; i++) if (valid[i] === 0) this.items[i] = empty;
    }
    return { type: this.type, length: n, values, valid };
  }
}

/**
 * Collects output rows of plain values plus their ops, then builds one ChangeBatch: how
 * stateful operators emit rows taken from their stores. Values go straight into typed
 * columns as rows are pushed.
 */
export class RowSink {
  private readonly columns: SinkColumn[];
  /** The columns written, when not all are (see the constructor's `only`). */
  private readonly filled: readonly number[] | undefined;
  private ops: Int8Array;
  private n = 0;
  private retractions = 0;
  private capacity: number;

  /**
   * @param only which columns to fill; the others come out all NULL without being written
   *   (an operator whose consumers read only some columns). @default every column
   */
  constructor(
    private readonly schema: Schema,
    types: readonly SqlType[],
    capacity = INITIAL_CAPACITY,
    only?: readonly boolean[],
  ) {
    this.capacity = Math.max(1, capacity);
    this.columns = types.map((t) => new SinkColumn(t, this.capacity));
    this.filled = only === undefined ? undefined : types.flatMap((_, c) => (only[c] === false ? [] : [c]));
    this.ops = new Int8Array(this.capacity);
  }

  get length(): number {
    return this.n;
  }

  push(row: readonly Plain[], op: number): void {
    const i = this.n;
    if (i === this.capacity) this.grow();
    const columns = this.columns;
    const filled = this.filled;
    if (filled === undefined) for (let c = 0; c < columns.length; c++) (columns[c] as SinkColumn).set(i, row[c]);
    else {
      for (let j = 0; j < filled.length; j++) {
        const c = filled[j] as number;
        (columns[c] as SinkColumn).set(i, row[c]);
      }
    }
    this.ops[i] = op;
    if (op === RETRACT) this.retractions++;
    this.n = i + 1;
  }

  /** The collected rows as a ChangeBatch (ops undefined when all are inserts), or undefined when none. */
  build(): ChangeBatch | undefined {
    const n = this.n;
    if (n === 0) return undefined;
    const columns = this.columns.map((c, j) =>
      this.filled === undefined || this.filled.includes(j) ? c.col(n) : undefined,
    );
    return new ColumnsChange(
      this.schema,
      this.columns.map((c) => c.type),
      columns,
      n,
      this.retractions === 0 ? undefined : this.ops.slice(0, n),
    );
  }

  private grow(): void {
    this.capacity *= 2;
    for (const c of this.columns) c.grow(this.capacity);
    const ops = new Int8Array(this.capacity);
    ops.set(this.ops);
    this.ops = ops;
  }
}
