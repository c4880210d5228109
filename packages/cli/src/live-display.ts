import type { Pipeline } from "@jetflow/pipeline";
import { RateMeter, progressLine } from "./progress.js";
import { toTextTable } from "./output/text-table.js";

/**
 * Redraws the terminal a few times a second: a progress bar (messages behind, rate, ETA) and
 * the current rows of the printed view (or of every view), on the alternate screen.
 */
export class LiveDisplay {
  private timer: NodeJS.Timeout | undefined;
  private readonly meter = new RateMeter();

  constructor(
    private readonly p: Pipeline,
    private readonly printName: string | undefined,
    private readonly out: NodeJS.WritableStream & { rows?: number },
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.out.write("\x1b[?1049h\x1b[?25l");
    this.draw();
    this.timer = setInterval(() => this.draw(), this.intervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.out.write("\x1b[?25h\x1b[?1049l");
  }

  /** One frame, as text. */
  render(): string {
    const processed = this.total("jetflow_messages_in_total");
    const rate = this.meter.sample(processed);
    const lines = [
      `jetflow  ${progressLine({ done: processed, behind: this.p.lag(), rate })}`,
      `rows decoded: ${this.total("jetflow_rows_decoded_total").toLocaleString("en-US")}   bad messages: ${this.total("jetflow_decode_errors_total").toLocaleString("en-US")}   checkpoints: ${this.p.metrics.value("jetflow_checkpoints_total", "")}`,
      "",
    ];
    const names = this.printName !== undefined ? [this.printName] : this.p.names().filter((n) => this.readable(n));
    const height = Math.max(5, Math.floor(((this.out.rows ?? 40) - lines.length) / Math.max(1, names.length)) - 4);
    for (const name of names) {
      lines.push(`${name}:`, toTextTable(this.p.view(name).snapshot(), height));
    }
    return lines.join("\n");
  }

  private draw(): void {
    this.out.write(`\x1b[H\x1b[J${this.render()}`);
  }

  private readable(name: string): boolean {
    try {
      this.p.view(name);
      return true;
    } catch {
      return false;
    }
  }

  private total(metric: string): number {
    return this.p.metrics.total(metric);
  }
}
