import { connect } from "@nats-io/transport-node";
import { type DatasetSpec, Encoder, eventAt, streamOf, hostClockMs } from "./dataset.js";

/**
 * Publishes a dataset's events at a steady `rate` (messages per second) with core publishes,
 * stamping each with its publish time. Every millisecond or so it sends what the schedule owes,
 * so the rate holds without a busy loop stealing a core from the pipeline under test.
 */
export async function publishSteady(url: string, dataset: DatasetSpec, rate: number): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    const { subject } = streamOf(dataset);
    const encoder = new Encoder(dataset);
    const started = performance.now();
    let sent = 0;
    while (sent < dataset.messages) {
      const due = Math.min(dataset.messages, Math.floor(((performance.now() - started) * rate) / 1000));
      for (; sent < due; sent++) nc.publish(subject, encoder.encode(eventAt(dataset, sent, hostClockMs())));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await nc.flush();
    return (performance.now() - started) / 1000;
  } finally {
    await nc.close();
  }
}
