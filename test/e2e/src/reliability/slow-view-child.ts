/**
 * Child process of backpressure.test.ts (run from its build in dist/): a pipeline whose one view
 * has a subscriber slower than the stream (a synchronous busy-wait per change batch). After each
 * batch it prints one JSON line `{ rss, heapUsed, processed }`: what the parent checks memory and
 * pulling against. Runs until killed.
 *
 * argv[2]: JSON `{ url, stream, subject, busyMs }`.
 */
import { sqlPipeline } from "@jetflow/sql";

interface ChildConfig {
  readonly url: string;
  readonly stream: string;
  readonly subject: string;
  /** Busy-wait per change batch, in milliseconds. */
  readonly busyMs: number;
}

export interface ChildSample {
  readonly rss: number;
  readonly heapUsed: number;
  /** Messages the source relation has processed. */
  readonly processed: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as ChildConfig;

const p = sqlPipeline();
p.sql(`
CREATE SOURCE events (id bigint, region varchar, amount double precision)
WITH (connector = 'nats', server_url = '${config.url}', subject = '${config.subject}', stream = '${config.stream}', connect_mode = 'plain')
FORMAT PLAIN ENCODE JSON;
CREATE MATERIALIZED VIEW by_region AS SELECT region, count(*), sum(amount) FROM events GROUP BY region;
`);
await p.start();
p.view("by_region").changes$.subscribe(() => {
  const until = Date.now() + config.busyMs;
  while (Date.now() < until) {
    // A subscriber slower than the stream, holding the thread like real synchronous work would.
  }
  const m = process.memoryUsage();
  const sample: ChildSample = {
    rss: m.rss,
    heapUsed: m.heapUsed,
    processed: p.metrics.value("jetflow_messages_in_total", 'relation="events"'),
  };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
});
