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
