import { messageOf, wholeNumberOption } from "@jetflow/core";
import type { Table } from "apache-arrow";
import { type Observable, Subject, type Subscription } from "rxjs";
import type { GroupEvent, GroupMember, ReleaseReason } from "./group-member.js";
import type { PartitionQuery, QueryRows } from "./partition-query.js";

/**
 * The work for one partition, run by {@link PartitionTasks} while this member owns it.
 *
 * `checkpoint()` must make the state its pointer names durable before it returns the pointer:
 * the pointer is committed (fenced) right after, and a new owner restores exactly what it names.
 * Store each checkpoint under a key of its own (say partition + epoch + number), so that a stale
 * owner's late state write cannot change what a committed pointer names.
 */
export interface PartitionTask {
  /** Starts from the pointer the last owner committed, or from the beginning when there is none. */
  start(from: unknown | undefined): Promise<void>;
  /**
   * Writes the state durably, then returns a JSON-able pointer to it. Called only after `start`
   * resolved, and only once the pointer it returned last time was committed.
   */
  checkpoint(): Promise<unknown>;
  /**
   * Called right after the pointer `checkpoint()` returned was committed by the fenced write
   * (never after a refused one, nor for the last checkpoint of a hand-over, whose pointer the
   * release commits and the next owner starts from). This is where side effects that must only
   * follow a committed checkpoint go: the exchange's rule is that a sealed epoch is published
   * only once the checkpoint holding it committed. A failure is an `error` event; the task runs on.
   */
  committed?(): Promise<void>;
  /** Stops the work; nothing it does afterwards is committed. */
  stop(): Promise<void>;
  /**
   * Optional: the rows of `request.relation` this partition holds, filtered by `request.equal`
   * (see `servePartitionQueries`). Runs beside the task's other calls (not in their order), at any
   * time between `start` resolving and `stop` being called, so it must only read. An unknown
   * relation or column is an error naming it.
   */
  query?(request: PartitionQuery): Promise<QueryRows> | QueryRows;
  /** Optional, as `query`: the rows as an Arrow table (a request with `arrow: true`). */
  queryTable?(request: PartitionQuery): Promise<Table> | Table;
}

/** What {@link PartitionTasks} sees happen, as data. */
export type PartitionTaskEvent =
  /** `from`: the committed pointer it started from, absent when it started from the beginning. */
  | { readonly type: "task_started"; readonly partition: number; readonly from?: unknown }
  | { readonly type: "task_stopped"; readonly partition: number; readonly reason: ReleaseReason }
  | { readonly type: "committed"; readonly partition: number; readonly revision: number }
  /** The fenced write of a pointer was refused: the partition was taken over; its task is stopped. */
  | { readonly type: "commit_refused"; readonly partition: number }
  | { readonly type: "error"; readonly partition: number; readonly message: string };

/** How {@link PartitionTasks} runs. */
export interface PartitionTasksOptions {
  /** Milliseconds between commits of every running task's checkpoint. @default 1000 */
  readonly commitIntervalMs?: number;
  /**
   * Milliseconds before a task that failed to start is tried again (doubling up to 30 s), while
   * the member still owns its partition. @default 1000
   */
  readonly restartDelayMs?: number;
}

interface ResolvedTasksOptions {
  readonly commitIntervalMs: number;
  readonly restartDelayMs: number;
}

function resolveTasksOptions(o: PartitionTasksOptions): ResolvedTasksOptions {
  return {
    commitIntervalMs: wholeNumberOption("commitIntervalMs", o.commitIntervalMs, 1000, 10),
    restartDelayMs: wholeNumberOption("restartDelayMs", o.restartDelayMs, 1000, 1),
  };
}

/** What a task starts from: the ownership it was acquired under. */
interface StartOf {
  readonly revision: number;
  readonly from: unknown;
  /** The partition's ownership count when it was acquired (see `PartitionTasks.ownership`). */
  readonly ownership: number;
}

/** The longest wait between two tries to start a task. */
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * One task per partition the member owns, Kafka Streams style. Invariant: a partition's pointer
 * (the `data` of `partitions.<p>`) is only ever written by the fenced {@link GroupMember.write} of
 * the member that owns it, after the task made the state it names durable; so a new owner starts
 * from exactly what the last owner committed, and an owner that was taken over commits nothing.
 *
 * Per partition, starts, checkpoints and stops run one after another: `start` resolves before the
 * first checkpoint, and `stop` before the partition can start again in this process. A refused
 * commit stops the task and is an event; nothing throws out of the loop. A task that fails to
 * start is an `error` event and is tried again (a new task from the factory) after a growing delay,
 * for as long as the member holds the ownership it was started for.
 *
 * @example
 * ```ts
 * const tasks = PartitionTasks.run(member, (p) => new MyTask(p), { commitIntervalMs: 500 });
 * tasks.events$.subscribe((e) => console.log(e));
 * await tasks.leave(); // commits every task, stops them, leaves the group
 * ```
 */
export class PartitionTasks {
  private readonly subject = new Subject<PartitionTaskEvent>();
  /** Task events. */
  readonly events$: Observable<PartitionTaskEvent> = this.subject.asObservable();
  /**
   * Running tasks, each with the revision of `partitions.<p>` it holds (its fencing token) and,
   * once the member released the partition, why (its stop is queued behind what runs now).
   */
  private readonly tasks = new Map<
    number,
    { readonly task: PartitionTask; revision: number; released?: ReleaseReason; handingOver?: boolean }
  >();
  private readonly chains = new Map<number, Promise<void>>();
  private readonly subscription: Subscription;
  private readonly timer: NodeJS.Timeout;
  private committing = false;
  private leaving = false;
  /** Per partition, which ownership is current (bumped on every acquire and release): a retry of an older one is dropped. */
  private readonly ownership = new Map<number, number>();
  /** Pending retries of tasks that failed to start. */
  private readonly retries = new Set<NodeJS.Timeout>();

  private constructor(
    readonly member: GroupMember,
    private readonly factory: (partition: number) => PartitionTask,
    private readonly options: ResolvedTasksOptions,
  ) {
    this.subscription = member.events$.subscribe({
      next: (e) => this.onGroupEvent(e),
      // The member stopped without releasing (its connection closed): its lease runs out on the server.
      complete: () => void this.stopAll("lease_lost"),
    });
    this.timer = setInterval(() => void this.commitAll(), options.commitIntervalMs);
    member.onHandOver((p) => this.handOver(p));
  }

  /**
   * Runs a task from `factory` for every partition `member` owns, from now on. Subscribe before
   * the member's initial replay is applied (right after {@link GroupMember.join}) so that no
   * `acquired` is missed.
   */
  static run(
    member: GroupMember,
    factory: (partition: number) => PartitionTask,
    options: PartitionTasksOptions = {},
  ): PartitionTasks {
    return new PartitionTasks(member, factory, resolveTasksOptions(options));
  }

  /** The partitions whose task is running (started and not stopped). */
  running(): number[] {
    return [...this.tasks.keys()].sort((a, b) => a - b);
  }

  /**
   * The task of partition `p` if it may answer a query now: started, its partition neither
   * released nor being handed over. Undefined otherwise (the caller asks again later, by which
   * time the partition's next owner runs it).
   */
  answering(p: number): PartitionTask | undefined {
    const running = this.tasks.get(p);
    return running === undefined || running.released !== undefined || running.handingOver ? undefined : running.task;
  }

  /** Commits every running task's checkpoint now; resolves when each commit was written or refused. */
  async commitAll(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    try {
      await Promise.all([...this.tasks.keys()].map((p) => this.inOrder(p, () => this.commit(p))));
    } finally {
      this.committing = false;
    }
  }

  /** A clean leave: commits every task's checkpoint, stops the tasks, then leaves the group. */
  async leave(): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    clearInterval(this.timer);
    await Promise.all([...this.tasks.keys()].map((p) => this.inOrder(p, () => this.commit(p))));
    await this.stopAll("left");
    this.subscription.unsubscribe();
    await this.member.leave();
    this.subject.complete();
  }

  private onGroupEvent(e: GroupEvent): void {
    if (e.type === "acquired" || e.type === "released") {
      this.ownership.set(e.partition, (this.ownership.get(e.partition) ?? 0) + 1);
    }
    if (e.type === "acquired" && !this.leaving) {
      const started = { revision: e.revision, from: e.data, ownership: this.ownership.get(e.partition) as number };
      void this.inOrder(e.partition, () => this.startTask(e.partition, started, this.options.restartDelayMs));
    } else if (e.type === "released") {
      const running = this.tasks.get(e.partition);
      if (running !== undefined) running.released = e.reason;
      void this.inOrder(e.partition, () => this.stopTask(e.partition, e.reason));
    }
  }

  private async stopAll(reason: ReleaseReason): Promise<void> {
    clearInterval(this.timer);
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    await Promise.all([...this.chains.keys()].map((p) => this.inOrder(p, () => this.stopTask(p, reason))));
  }

  private async startTask(p: number, started: StartOf, delayMs: number): Promise<void> {
    const { revision, from } = started;
    if (this.tasks.has(p) || this.leaving || this.ownership.get(p) !== started.ownership) return;
    const task = this.factory(p);
    try {
      await task.start(from);
    } catch (e) {
      this.emit({
        type: "error",
        partition: p,
        message: `task of partition ${p} did not start (trying again in ${delayMs} ms): ${messageOf(e)}`,
      });
      const retry = setTimeout(() => {
        this.retries.delete(retry);
        void this.inOrder(p, () => this.startTask(p, started, Math.min(2 * delayMs, MAX_RESTART_DELAY_MS)));
      }, delayMs);
      this.retries.add(retry);
      return;
    }
    this.tasks.set(p, { task, revision });
    this.emit(
      from === undefined ? { type: "task_started", partition: p } : { type: "task_started", partition: p, from },
    );
  }

  private async stopTask(p: number, reason: ReleaseReason): Promise<void> {
    const running = this.tasks.get(p);
    if (running === undefined) return;
    this.tasks.delete(p);
    try {
      await running.task.stop();
    } catch (e) {
      this.emit({
        type: "error",
        partition: p,
        message: `task of partition ${p} did not stop cleanly: ${messageOf(e)}`,
      });
    }
    this.emit({ type: "task_stopped", partition: p, reason });
  }

  /**
   * Checkpoints the task of `p` and commits its pointer, fenced at the revision this task holds
   * (not the member's latest): had the partition moved away and back while the checkpoint was
   * written, the pointer of the older task is refused.
   */
  private async commit(p: number): Promise<void> {
    const running = this.tasks.get(p);
    // Released already: its `released` event, queued behind this, stops the task.
    if (running === undefined || !this.member.owned().has(p)) return;
    let pointer: unknown;
    try {
      pointer = await running.task.checkpoint();
    } catch (e) {
      this.emit({ type: "error", partition: p, message: `checkpoint of partition ${p} failed: ${messageOf(e)}` });
      return;
    }
    try {
      const revision = await this.member.write(p, pointer, running.revision);
      running.revision = revision;
      this.emit({ type: "committed", partition: p, revision });
    } catch {
      // Handed over cleanly while the checkpoint was written (rebalance, leave): not committed, but
      // not a takeover either. Otherwise someone else owns the partition now.
      const clean = running.released === "rebalance" || running.released === "left";
      if (!clean) this.emit({ type: "commit_refused", partition: p });
      await this.stopTask(p, running.released ?? "fenced");
      return;
    }
    try {
      await running.task.committed?.();
    } catch (e) {
      this.emit({
        type: "error",
        partition: p,
        message: `task of partition ${p} failed after its commit: ${messageOf(e)}`,
      });
    }
  }

  /**
   * Before a rebalance hands `p` over: the task's last checkpoint, then its stop; the pointer goes
   * to the next owner with the release itself, so it starts where this task stopped (nothing is
   * done twice). Undefined (the pointer the partition holds stays) when no task runs or the
   * checkpoint fails.
   */
  private handOver(p: number): Promise<unknown> {
    // From now on the task answers no query: the partition is on its way to its next owner.
    const now = this.tasks.get(p);
    if (now !== undefined) now.handingOver = true;
    return this.inOrder(p, async () => {
      const running = this.tasks.get(p);
      if (running === undefined) return undefined;
      running.handingOver = true;
      let pointer: unknown;
      try {
        pointer = await running.task.checkpoint();
      } catch (e) {
        this.emit({
          type: "error",
          partition: p,
          message: `last checkpoint of partition ${p} failed: ${messageOf(e)}`,
        });
      }
      await this.stopTask(p, "rebalance");
      return pointer;
    });
  }

  /** Runs `fn` after everything queued for partition `p`; an unexpected failure is an `error` event (and undefined). */
  private inOrder<T>(p: number, fn: () => Promise<T>): Promise<T | undefined> {
    const next = (this.chains.get(p) ?? Promise.resolve()).then(fn).catch((e) => {
      this.emit({ type: "error", partition: p, message: `partition ${p}: ${messageOf(e)}` });
      return undefined;
    });
    this.chains.set(
      p,
      next.then(() => {}),
    );
    return next;
  }

  private emit(e: PartitionTaskEvent): void {
    this.subject.next(e);
  }
}
