import { pipeline } from "@jetflow/pipeline";
import type { GroupPlan, PartitionStep } from "./group-plan.js";
import { silentFeed } from "./silent-feed.js";

/**
 * The plan with every feed's columns spelled out: a feed of an edge names its columns `like` the
 * hidden view that writes the edge, and that view runs only where its input is (a global
 * aggregate's, in one partition), so the other partitions could not resolve them. Every relation
 * of every partition is planned once, together (no I/O but what building decoders needs), and the
 * feeds take the columns found.
 */
export async function typedPlan(plan: GroupPlan): Promise<GroupPlan> {
  if (!plan.steps.some((s) => s.kind === "feed" && !Array.isArray(s.columns))) return plan;
  const p = pipeline();
  const seen = new Set<string>();
  for (const step of plan.steps) {
    if (step.kind === "output") continue;
    const name = step.kind === "feed" ? step.name : "name" in step.statement ? step.statement.name : "";
    if (step.kind === "statement" && step.statement.kind === "create_sink") continue;
    if (seen.has(name)) continue;
    seen.add(name);
    if (step.kind === "statement") p.statement(step.statement);
    else p.feed(step.name, silentFeed({ kind: step.as, columns: step.columns, key: step.key }));
  }
  const columns = new Map((await p.plan()).relations.map((r) => [r.name, r.columns]));
  const steps = plan.steps.map((s): PartitionStep => {
    if (s.kind !== "feed" || Array.isArray(s.columns)) return s;
    const found = columns.get(s.name);
    if (found === undefined) throw new Error(`internal: feed "${s.name}" was not planned`);
    return { ...s, columns: found };
  });
  return { ...plan, steps };
}
