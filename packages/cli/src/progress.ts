/** What the progress line shows while a backlog drains. */
export interface Progress {
  /** Messages processed since start. */
  readonly done: number;
  /** Messages still behind (consumer lag). */
  readonly behind: number;
  /** Messages per second, recent. */
  readonly rate: number;
}

/**
 * `[██████░░░░]  60%  12,345 behind  45,678 msg/s  ETA 0:03` — the bar is the share of the
 * backlog done; ETA is behind / rate.
 */
export function progressLine(p: Progress, width = 30): string {
  const total = p.done + p.behind;
  const share = total === 0 ? 1 : p.done / total;
  const filled = Math.round(share * width);
  const bar = `[${"█".repeat(filled)}${"░".repeat(width - filled)}]`;
  const pct = `${Math.floor(share * 100)}%`.padStart(4);
  const eta = p.behind === 0 ? "caught up" : p.rate > 0 ? `ETA ${duration(p.behind / p.rate)}` : "ETA --:--";
  return `${bar} ${pct}  ${fmt(p.behind)} behind  ${fmt(Math.round(p.rate))} msg/s  ${eta}`;
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}

function duration(seconds: number): string {
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor(s / 60) % 60;
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** A rate meter over a sliding window of samples. */
export class RateMeter {
  private readonly samples: { t: number; n: number }[] = [];
  constructor(private readonly windowMs = 3000) {}

  /** Adds a sample of the running total at time `t` (ms) and returns the rate per second. */
  sample(total: number, t = Date.now()): number {
    this.samples.push({ t, n: total });
    while (this.samples.length > 2 && t - (this.samples[0] as { t: number }).t > this.windowMs) this.samples.shift();
    const first = this.samples[0] as { t: number; n: number };
    const dt = (t - first.t) / 1000;
    return dt > 0 ? (total - first.n) / dt : 0;
  }
}
