import { streamOf } from "./dataset.js";
import { consumeAll } from "./raw-consume.js";
import { checkResult, peakRssMiB, type Scenario, type ScenarioResult, throughput } from "./scenario.js";
import type { Expected } from "./dataset.js";

/**
 * The ceiling: raw nats.js JetStream consumption of the dataset with no processing at all, only
 * counting messages and payload bytes. Nothing built on nats.js can read faster. It reads with a
 * plain ephemeral pull consumer: nats.js's ordered consumer checks every message's sequence and
 * costs about 1 µs more per message (~330k instead of ~550k msg/s here), so it is no ceiling.
 */
export async function runCeiling(
  scenario: Extract<Scenario, { kind: "ceiling" }>,
  url: string,
  expected: Expected | undefined,
): Promise<ScenarioResult> {
  const { stream } = streamOf(scenario.dataset);
  let messages = 0;
  let bytes = 0;
  const seconds = await consumeAll(url, stream, scenario.dataset.messages, (m) => {
    messages++;
    bytes += m.data.length;
  });
  return {
    ...throughput(scenario.id, scenario.label, "ceiling", scenario.dataset, messages, bytes, seconds),
    peakRssMiB: peakRssMiB(),
    problems: checkResult(expected, undefined, { messages, bytes }, undefined),
  };
}
