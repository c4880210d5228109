import { hostClockMs, streamOf } from "./dataset.js";
import { GRACE_MS, type LiveScenario, latencyResult } from "./live-run.js";
import { consumeAll } from "./raw-consume.js";
import type { ScenarioResult } from "./scenario.js";

/**
 * The latency floor of this machine: what a plain nats.js consumer (`consumeAll`: a callback
 * `consume()`, large pulls, no acks) sees from publish to delivery of the same live stream at the
 * same rate, `JSON.parse` of each payload its only work. Every process the jetflow scenario has
 * runs here too (the publisher, nats-server, this consumer), so the difference between the two is
 * jetflow's own latency; the floor is what the machine adds.
 */
export async function runLatencyFloor(scenario: LiveScenario, url: string, ready: () => void): Promise<ScenarioResult> {
  const total = scenario.dataset.messages;
  const samples = new Float64Array(Math.max(0, total - scenario.warmup));
  let seen = 0;
  let bytes = 0;
  let firstAt = 0;
  let lastAt = 0;
  const reading = consumeAll(
    url,
    streamOf(scenario.dataset).stream,
    total,
    (m) => {
      const now = hostClockMs();
      const { ts } = JSON.parse(m.string()) as { ts: number };
      if (seen >= scenario.warmup && seen < total) samples[seen - scenario.warmup] = now - ts;
      bytes += m.data.length;
      if (firstAt === 0) firstAt = now;
      lastAt = now;
      seen++;
    },
    ready,
  );
  // Messages lost would leave the read waiting: it is given the publish time and a grace period.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), (total / scenario.rate) * 1000 + GRACE_MS);
  });
  const problems = (await Promise.race([reading, late])) === "late" ? [`saw ${seen} of ${total} messages`] : [];
  clearTimeout(timer);
  const counted = samples.subarray(0, Math.max(0, Math.min(seen, total) - scenario.warmup));
  return latencyResult(scenario, seen, bytes, (lastAt - firstAt) / 1000, counted, problems);
}
