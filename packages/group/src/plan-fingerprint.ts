import { createHash } from "node:crypto";
import { messageOf } from "@jetflow/core";
import type { PipelinePlan } from "@jetflow/pipeline";
import { GroupError } from "./errors.js";
import type { Group } from "./group.js";
import { GroupKeys } from "./group-keys.js";

/**
 * A hash of what a pipeline computes: its relations (names, kinds, columns, keys, queries) and
 * sinks (names, inputs, formats). No WITH options: members may reach the servers by other URLs
 * and credentials, and no secret goes into the hash.
 */
export function planFingerprint(plan: PipelinePlan): string {
  const parts = {
    relations: plan.relations.map((r) => [
      r.name,
      r.kind,
      r.columns.map((c) => [c.name, c.type]),
      r.key,
      r.query ?? null,
    ]),
    sinks: plan.sinks.map((s) => [s.name, s.spec.from, s.spec.format ?? null]),
  };
  const json = JSON.stringify(parts, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
  return createHash("sha256").update(json).digest("hex");
}

/**
 * Makes sure every member of a group runs the same pipeline: the first member stores its plan's
 * fingerprint (create-if-absent, key `plan`), the others must match it. A member started with
 * another SQL file (other relations, columns, keys or queries) is refused before it takes a
 * partition, rather than running other steps over the same partitions and edges.
 * @throws GroupError naming the group, when the plans differ
 */
export async function checkGroupPlan(group: Group, plan: PipelinePlan): Promise<void> {
  const mine = planFingerprint(plan);
  try {
    await group.kv.create(GroupKeys.plan, mine);
    return;
  } catch {
    // Stored already: compare.
  }
  let stored: string | undefined;
  try {
    const e = await group.kv.get(GroupKeys.plan);
    stored = e === null || e.operation !== "PUT" ? undefined : e.string();
  } catch (e) {
    throw new GroupError(group.name, `group "${group.name}": cannot read its pipeline's fingerprint: ${messageOf(e)}`, {
      cause: e,
    });
  }
  if (stored !== mine) {
    throw new GroupError(
      group.name,
      `group "${group.name}" runs another pipeline: this SQL file's relations, columns, keys, queries or sinks differ from those its members run; start every member with the same file, or use a new group name`,
    );
  }
}
