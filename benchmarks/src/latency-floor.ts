import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { hostClockMs, streamOf } from "./dataset.js";
import { GRACE_MS, type LiveScenario } from "./live-run.js";
import { MAX_MESSAGES } from "./raw-consume.js";
import { latencyOf, peakRssMiB, type ScenarioResult, throughput } from "./scenario.js";

/**
 * The latency floor of this machine: what a plain nats.js consumer (the raw-consume settings: a
 * callback `consume()`, large pulls, no acks) sees from publish to delivery of the same live
 * stream at the same rate, `JSON.parse` of each payload its only work. Every process the
 * jetflow scenario has runs here too (the publisher, nats-server, this consumer), so the
 * difference between the two is jetflow's own latency; the floor is what the machine adds.
 */
export async function runLatencyFloor(scenario: LiveScenario, url: string, ready: () => void): Promise<ScenarioResult> {
  const total = scenario.dataset.messages;
  const samples = new Float64Array(Math.max(0, total - scenario.warmup));
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const { stream } = streamOf(scenario.dataset);
    const info = await jsm.consumers.add(stream, {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      mem_storage: true,
      inactive_threshold: 30_000_000_000,
    });
    const consumer = await jetstream(nc).consumers.get(stream, info.name);
    let seen = 0;
    let bytes = 0;
    let firstAt = 0;
    let lastAt = 0;
    const problems: string[] = [];
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const timer = setTimeout(
      () => {
        problems.push(`saw ${seen} of ${total} messages`);
        finish();
      },
      (total / scenario.rate) * 1000 + GRACE_MS,
    );
    const messages = await consumer.consume({
      max_messages: MAX_MESSAGES,
      callback: (m) => {
        const now = hostClockMs();
        const { ts } = JSON.parse(m.string()) as { ts: number };
        if (seen >= scenario.warmup && seen < total) samples[seen - scenario.warmup] = now - ts;
        bytes += m.data.length;
        if (firstAt === 0) firstAt = now;
        lastAt = now;
        if (++seen === total) finish();
      },
    });
    ready();
    await finished;
    clearTimeout(timer);
    await messages.close();
    const counted = samples.subarray(0, Math.max(0, Math.min(seen, total) - scenario.warmup));
    const seconds = Math.max(1e-3, (lastAt - firstAt) / 1000);
    return {
      ...throughput(scenario.id, scenario.label, "latency", scenario.dataset, seen, bytes, seconds),
      peakRssMiB: peakRssMiB(),
      latency: latencyOf(counted),
      problems,
    };
  } finally {
    await nc.close();
  }
}
