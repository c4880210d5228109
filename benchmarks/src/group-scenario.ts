import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { queryGroupTable } from "@jetflow/group";
import { connect } from "@nats-io/transport-node";
import { nuid } from "@nats-io/transport-node";
import type { Expected } from "./dataset.js";
import type { MemberMessage, MemberRequest } from "./group-member.js";
import { fingerprintOf } from "./jetflow-scenario.js";
import { VIEW } from "./jetflow-sql.js";
import { checkResult, expectedView, peakRssMiB, type Scenario, type ScenarioResult, throughput } from "./scenario.js";

const MEMBER = fileURLToPath(new URL("./group-member.js", import.meta.url));
/** How often the whole view is read while the members work. */
const POLL_MS = 100;

/** One member process and its messages. */
interface Member {
  readonly next: (type: MemberMessage["type"]) => Promise<MemberMessage>;
  readonly send: (m: unknown) => void;
  readonly kill: () => void;
}

function startMember(request: MemberRequest): Member {
  const child = fork(MEMBER, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const seen: MemberMessage[] = [];
  const waiters: (() => void)[] = [];
  child.on("message", (m: MemberMessage) => {
    seen.push(m);
    for (const w of waiters.splice(0)) w();
  });
  child.on("exit", () => {
    for (const w of waiters.splice(0)) w();
  });
  child.send(request);
  const next = async (type: MemberMessage["type"]): Promise<MemberMessage> => {
    for (;;) {
      const found = seen.find((m) => m.type === type || m.type === "error");
      if (found !== undefined) {
        if (found.type === "error") throw new Error(`a member failed: ${found.message}`);
        return found;
      }
      if (child.exitCode !== null) throw new Error(`a member exited (code ${child.exitCode}) before "${type}"`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { next, send: (m) => child.send(m as object), kill: () => child.kill("SIGKILL") };
}

/**
 * A shape (a table or a source, then a group-by) over a pre-loaded dataset, run by a group of `members` processes (each a
 * `jetflow run --group` would be): timed from starting the members until the whole group-by view,
 * read through the group from this process, equals the expected one. Members join as they start
 * (partitions move while the backlog is read, as in a real start). CPU is the members' total.
 */
export async function runGroup(
  scenario: Extract<Scenario, { kind: "group" }>,
  url: string,
  expected: Expected | undefined,
): Promise<ScenarioResult> {
  const group = `bench_${nuid.next()}`;
  const nc = await connect({ servers: url });
  const started = performance.now();
  const request: MemberRequest = {
    url,
    dataset: scenario.dataset,
    shape: scenario.shape,
    group,
    partitions: scenario.partitions,
  };
  const members = Array.from({ length: scenario.members }, () => startMember(request));
  try {
    await Promise.all(members.map((m) => m.next("joined")));
    const want = expected === undefined ? undefined : expectedView(expected, scenario.shape);
    let view = { groups: 0, count: 0, sum: 0 };
    for (;;) {
      const rows = (
        await queryGroupTable(nc, group, { relation: VIEW }, { partitions: scenario.partitions })
      ).toArray();
      view = fingerprintOf(rows.map((r) => r.toJSON() as Record<string, unknown>));
      if (want === undefined || (view.groups === want.groups && view.count === want.count && view.sum === want.sum))
        break;
      if (performance.now() - started > 600_000) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const seconds = (performance.now() - started) / 1000;
    for (const m of members) m.send("leave");
    const cpu = await Promise.all(
      members.map(async (m) => ((await m.next("left")) as Extract<MemberMessage, { type: "left" }>).cpuSeconds),
    );
    const messages = expected?.messages ?? 0;
    const cpuSeconds = cpu.reduce((a, b) => a + b, 0);
    const base = throughput(
      scenario.id,
      scenario.label,
      "group",
      scenario.dataset,
      messages,
      expected?.bytes ?? 0,
      seconds,
    );
    return {
      ...base,
      cpuSeconds,
      ...(messages === 0 ? {} : { cpuUsPerMsg: (cpuSeconds * 1e6) / messages }),
      peakRssMiB: peakRssMiB(),
      view,
      problems: checkResult(expected, scenario.shape, { messages, bytes: expected?.bytes ?? 0 }, view),
    };
  } finally {
    for (const m of members) m.kill();
    await nc.close();
  }
}
