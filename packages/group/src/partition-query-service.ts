import { JetflowError, messageOf } from "@jetflow/core";
import { headers, type Msg, type Subscription } from "@nats-io/transport-node";
import { tableToIPC } from "apache-arrow";
import { Subscription as RxSubscription } from "rxjs";
import {
  decodeQuery,
  type PartitionQueryReply,
  partitionQuerySubject,
  REPLY_FORMAT_HEADER,
} from "./partition-query.js";
import type { PartitionTasks } from "./partition-tasks.js";

/** A member answering queries for the partitions whose task it runs: see {@link servePartitionQueries}. */
export interface PartitionQueryService {
  /** The partitions it listens for now, ascending. */
  serving(): number[];
  /** Stops listening on every partition (a request in flight is still answered). */
  stop(): void;
}

/**
 * Answers queries for the partitions `tasks` runs: while the task of partition p is running and
 * has a `query` method, a core NATS subscription on `jf.q.<group>.<p>` (started on
 * `task_started`, ended on `task_stopped`) passes each request (JSON {@link PartitionQuery}) to
 * it and replies JSON `{"ok": true, "rows": {"columns", "rows"}}` or `{"ok": false, "error"}` (plus
 * `"code"` when the task threw a `JetflowError`).
 *
 * Invariant: only a running task answers. A request that reaches a partition whose task is being
 * handed over, released or not started gets no reply at all, so the caller (`queryGroup`) asks
 * again and finds the next owner; no queue group, so a member that stays silent never takes a
 * request from one that would answer. Ends by itself when `tasks.events$` completes (a leave).
 *
 * @example
 * ```ts
 * const tasks = PartitionTasks.run(member, (p) => new MyTask(p));
 * const queries = servePartitionQueries(tasks);
 * // from anywhere: await queryGroup(nc, "orders", { relation: "by_region" });
 * queries.stop();
 * ```
 */
export function servePartitionQueries(tasks: PartitionTasks): PartitionQueryService {
  const { nc, name: group } = tasks.member.group;
  const subscriptions = new Map<number, Subscription>();
  const listen = (p: number): void => {
    if (subscriptions.has(p) || tasks.answering(p)?.query === undefined) return;
    const subscription = nc.subscribe(partitionQuerySubject(group, p), {
      callback: (err, msg) => {
        if (err === null) void answer(tasks, p, msg);
      },
    });
    subscriptions.set(p, subscription);
  };
  const unlisten = (p: number): void => {
    subscriptions.get(p)?.unsubscribe();
    subscriptions.delete(p);
  };
  const events = new RxSubscription();
  const stop = (): void => {
    events.unsubscribe();
    for (const p of [...subscriptions.keys()]) unlisten(p);
  };
  events.add(
    tasks.events$.subscribe({
      next: (e) => {
        if (e.type === "task_started") listen(e.partition);
        else if (e.type === "task_stopped" || e.type === "commit_refused") unlisten(e.partition);
      },
      complete: stop,
    }),
  );
  if (events.closed) return { serving: () => [], stop };
  for (const p of tasks.running()) listen(p);
  return { serving: () => [...subscriptions.keys()].sort((a, b) => a - b), stop };
}

async function answer(tasks: PartitionTasks, p: number, msg: Msg): Promise<void> {
  // Asked once the task is no longer running (handed over, stopped): no reply, the caller asks again.
  const task = tasks.answering(p);
  if (task?.query === undefined || msg.reply === undefined) return;
  let reply: string;
  try {
    const request = decodeQuery(msg.data);
    if (request.arrow === true) {
      if (task.queryTable === undefined) throw new TypeError(`partition ${p}'s task answers JSON rows only`);
      const rows = tableToIPC(await task.queryTable(request), "stream");
      const h = headers();
      h.set(REPLY_FORMAT_HEADER, "arrow");
      msg.respond(rows, { headers: h });
      return;
    }
    const ok: PartitionQueryReply = { ok: true, rows: await task.query(request) };
    reply = JSON.stringify(ok); // throws on a cell that is not JSON-able (a bigint)
  } catch (e) {
    const refused: PartitionQueryReply =
      e instanceof JetflowError ? { ok: false, error: e.message, code: e.code } : { ok: false, error: messageOf(e) };
    reply = JSON.stringify(refused);
  }
  msg.respond(reply);
}
