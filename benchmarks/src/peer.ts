import type { JsMsg } from "@nats-io/jetstream";
import { unpack } from "msgpackr";
import { filter, map, Subject } from "rxjs";
import { type BenchEvent, type Encoding, type Expected, FILTER_MIN_V, loadProto, streamOf } from "./dataset.js";
import { consumeAll } from "./raw-consume.js";
import { checkResult, peakRssMiB, type Scenario, type ScenarioResult, type Shape, throughput } from "./scenario.js";

/** One group of the hand-written group-by view. */
interface Group {
  count: number;
  sum: number;
}

/**
 * The peer: the pipeline a Node developer writes by hand. Every message goes through an RxJS
 * Subject, is parsed on its own, upserted into a Map by primary key (retracting the old row from
 * its group) and folded into a Map group-by with count and sum. Same consumer settings as the ceiling.
 */
export async function runPeer(
  scenario: Extract<Scenario, { kind: "peer" }>,
  url: string,
  expected: Expected | undefined,
): Promise<ScenarioResult> {
  const { stream } = streamOf(scenario.dataset);
  const groups = new Map<string, Group>();
  const messages$ = new Subject<JsMsg>();
  let messages = 0;
  let bytes = 0;
  const subscription = view(messages$, scenario.dataset.encoding, scenario.shape, groups);
  const seconds = await consumeAll(url, stream, scenario.dataset.messages, (m) => {
    messages++;
    bytes += m.data.length;
    messages$.next(m);
  });
  subscription.unsubscribe();
  const fingerprint = fingerprintOf(groups);
  return {
    ...throughput(scenario.id, scenario.label, "peer", scenario.dataset, messages, bytes, seconds),
    peakRssMiB: peakRssMiB(),
    view: fingerprint,
    problems: checkResult(expected, scenario.shape, { messages, bytes }, fingerprint),
  };
}

function view(messages$: Subject<JsMsg>, encoding: Encoding, shape: Shape, groups: Map<string, Group>) {
  const events$ = messages$.pipe(map(parser(encoding)));
  if (shape === "source-filter") {
    return events$.pipe(filter((e) => e.v >= FILTER_MIN_V)).subscribe((e) => add(groups, e));
  }
  const table = new Map<number, BenchEvent>();
  return events$.subscribe((e) => {
    const old = table.get(e.id);
    if (old !== undefined) retract(groups, old);
    table.set(e.id, e);
    add(groups, e);
  });
}

function add(groups: Map<string, Group>, e: BenchEvent): void {
  const g = groups.get(e.k);
  if (g === undefined) {
    groups.set(e.k, { count: 1, sum: e.v });
  } else {
    g.count++;
    g.sum += e.v;
  }
}

function retract(groups: Map<string, Group>, e: BenchEvent): void {
  const g = groups.get(e.k) as Group;
  g.count--;
  g.sum -= e.v;
  if (g.count === 0) groups.delete(e.k);
}

/** The natural one-call decode of each format. */
function parser(encoding: Encoding): (m: JsMsg) => BenchEvent {
  switch (encoding) {
    case "json":
      return (m) => m.json<BenchEvent>();
    case "msgpack":
      return (m) => unpack(m.data) as BenchEvent;
    case "protobuf": {
      const type = loadProto();
      return (m) => {
        const e = type.decode(m.data) as unknown as Omit<BenchEvent, "id"> & { id: number | { toNumber(): number } };
        // Defaults (0, "") live on the message prototype, so copy the fields rather than spread them.
        return { id: typeof e.id === "number" ? e.id : e.id.toNumber(), k: e.k, v: e.v, ts: e.ts, pad: e.pad };
      };
    }
  }
}

function fingerprintOf(groups: Map<string, Group>): NonNullable<ScenarioResult["view"]> {
  let count = 0;
  let sum = 0;
  for (const g of groups.values()) {
    count += g.count;
    sum += g.sum;
  }
  return { groups: groups.size, count, sum };
}
