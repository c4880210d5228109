import { INSERT } from "@jetflow/core";
import { hostClockMs } from "./dataset.js";
import { LATENCY_VIEW } from "./jetflow-sql.js";
import { GRACE_MS, type LiveScenario, liveResult, startLivePipeline } from "./live-run.js";
import type { ScenarioResult } from "./scenario.js";

/**
 * End-to-end latency: a jetflow pipeline (keyed table, group-by view, then a projection view
 * carrying each row's publish time) follows an empty stream; once it runs, `ready()` tells the
 * publisher to start. Each row's latency is the time its projection-view change came out minus
 * the publish time inside its payload. The first `warmup` rows are not counted.
 */
export async function runLatency(scenario: LiveScenario, url: string, ready: () => void): Promise<ScenarioResult> {
  const total = scenario.dataset.messages;
  const samples = new Float64Array(Math.max(0, total - scenario.warmup));
  const p = await startLivePipeline(scenario, url, true);
  try {
    let inserts = 0;
    let firstAt = 0;
    let lastAt = 0;
    const problems: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          problems.push(`saw ${inserts} of ${total} rows`);
          resolve();
        },
        (total / scenario.rate) * 1000 + GRACE_MS,
      );
      const subscription = p.view(LATENCY_VIEW).changes$.subscribe({
        next: (change) => {
          const now = hostClockMs();
          const ts = change.batch.getChild("ts")?.toArray() as Float64Array;
          const ops = change.ops;
          for (let i = 0; i < ts.length; i++) {
            if (ops !== undefined && ops[i] !== INSERT) continue;
            if (inserts >= scenario.warmup && inserts < total)
              samples[inserts - scenario.warmup] = now - (ts[i] as number);
            inserts++;
          }
          if (firstAt === 0) firstAt = now;
          lastAt = now;
          if (inserts >= total) {
            clearTimeout(timer);
            subscription.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
      ready();
    });
    if (inserts > total) problems.push(`saw ${inserts} rows, expected ${total}`);
    const counted = samples.subarray(0, Math.max(0, Math.min(inserts, total) - scenario.warmup));
    return liveResult(scenario, p, (lastAt - firstAt) / 1000, counted, problems);
  } finally {
    await p.stop();
  }
}
