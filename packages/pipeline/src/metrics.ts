import type { CheckpointResult } from "@jetflow/state";

/** A labelled counter or gauge family, rendered in Prometheus text format. */
interface Family {
  readonly help: string;
  readonly type: "counter" | "gauge";
  readonly values: Map<string, number>;
}

/**
 * The pipeline's metrics: plain numbers updated on the hot path (one add per batch, never per
 * row), rendered as Prometheus text on demand. Label values are relation names, never secrets.
 */
export class Metrics {
  private readonly families = new Map<string, Family>();
  private readonly collectors: (() => void)[] = [];

  /** Runs `collect` before each read, to refresh gauges that are cheaper to read than to keep current (lag, sizes). */
  onCollect(collect: () => void): void {
    this.collectors.push(collect);
  }

  counter(name: string, help: string): (labels: string, by: number) => void {
    const f = this.family(name, help, "counter");
    return (labels, by) => f.values.set(labels, (f.values.get(labels) ?? 0) + by);
  }

  gauge(name: string, help: string): (labels: string, value: number) => void {
    const f = this.family(name, help, "gauge");
    return (labels, value) => f.values.set(labels, value);
  }

  /** A counter kept elsewhere (by an operator) and copied in when metrics are read: set, never added to. */
  observedCounter(name: string, help: string): (labels: string, total: number) => void {
    const f = this.family(name, help, "counter");
    return (labels, total) => f.values.set(labels, total);
  }

  /** The current value of one series, for tests and the progress display. */
  value(name: string, labels = ""): number {
    this.collect();
    return this.families.get(name)?.values.get(labels) ?? 0;
  }

  /** The sum of one metric over all its label sets. */
  total(name: string): number {
    this.collect();
    let sum = 0;
    for (const v of this.families.get(name)?.values.values() ?? []) sum += v;
    return sum;
  }

  /** Prometheus text exposition format (version 0.0.4). */
  render(): string {
    this.collect();
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const [labels, v] of f.values) out.push(`${name}${labels === "" ? "" : `{${labels}}`} ${v}`);
    }
    return `${out.join("\n")}\n`;
  }

  private collect(): void {
    for (const c of this.collectors) c();
  }

  private family(name: string, help: string, type: Family["type"]): Family {
    let f = this.families.get(name);
    if (f === undefined) {
      f = { help, type, values: new Map() };
      this.families.set(name, f);
    }
    return f;
  }
}

/** `relation="name"` with the value escaped as Prometheus wants. */
export function relationLabel(name: string): string {
  return `relation="${name.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;
}

/** What the pipeline's gauges read of a relation when metrics are read. */
export interface MeasuredRelation {
  readonly name: string;
  /** Rows held now. */
  readonly size: number;
  /** Messages not yet delivered to it (sources and tables). */
  lag?(): number;
  /** Expression results turned into NULL so far, by kind (views). */
  warnings?(): Readonly<Record<string, number>>;
}

/** What one source batch did, for the per-batch counters. */
export interface BatchCounts {
  readonly messages: number;
  readonly bytes: number;
  readonly rows: number;
  readonly bad: number;
}

/**
 * The pipeline's metrics table: every series jetflow exports, updated once per batch or
 * checkpoint, and the gauges (lag, sizes, expression NULLs) read from the relations on demand.
 *
 * @example
 * ```ts
 * const m = new PipelineMetrics(() => graph.all());
 * m.batch("orders", { messages: 100, bytes: 4096, rows: 99, bad: 1 });
 * m.render(); // Prometheus text
 * ```
 */
export class PipelineMetrics extends Metrics {
  private readonly count = {
    messages: this.counter("jetflow_messages_in_total", "Messages received from JetStream"),
    bytes: this.counter("jetflow_bytes_in_total", "Payload bytes received from JetStream"),
    rows: this.counter("jetflow_rows_decoded_total", "Rows decoded"),
    bad: this.counter("jetflow_decode_errors_total", "Messages that did not decode"),
    batches: this.counter("jetflow_batches_total", "Source batches processed"),
    checkpoints: this.counter("jetflow_checkpoints_total", "Checkpoints committed"),
    lag: this.gauge("jetflow_consumer_lag", "Messages not yet delivered (num_pending)"),
    size: this.gauge("jetflow_relation_rows", "Rows a table or view holds"),
    checkpointMs: this.gauge("jetflow_checkpoint_duration_ms", "Duration of the last checkpoint"),
    checkpointBytes: this.gauge("jetflow_checkpoint_bytes", "Size of the last checkpoint"),
    warnings: this.observedCounter(
      "jetflow_expression_nulls_total",
      "Expression results turned into NULL instead of failing (division by zero, overflow, invalid input)",
    ),
  };

  /** `relations` is read each time metrics are read, for the gauges. */
  constructor(relations: () => Iterable<MeasuredRelation>) {
    super();
    this.onCollect(() => {
      for (const r of relations()) this.measure(r);
    });
  }

  /** One source batch of `relation` was applied. */
  batch(relation: string, counts: BatchCounts): void {
    const label = relationLabel(relation);
    this.count.messages(label, counts.messages);
    this.count.bytes(label, counts.bytes);
    this.count.rows(label, counts.rows);
    this.count.batches(label, 1);
    if (counts.bad > 0) this.count.bad(label, counts.bad);
  }

  /** A checkpoint committed. */
  checkpointed(result: CheckpointResult): void {
    this.count.checkpoints("", 1);
    this.count.checkpointMs("", result.durationMs);
    this.count.checkpointBytes("", result.bytes);
  }

  private measure(r: MeasuredRelation): void {
    const label = relationLabel(r.name);
    this.count.size(label, r.size);
    if (r.lag !== undefined) this.count.lag(label, r.lag());
    for (const [kind, n] of Object.entries(r.warnings?.() ?? {})) this.count.warnings(`${label},kind="${kind}"`, n);
  }
}
