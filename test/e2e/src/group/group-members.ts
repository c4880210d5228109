import { groupStatus } from "@jetflow/group";
import type { NatsConnection } from "@nats-io/transport-node";
import { vi } from "vitest";
import { type Exit, MemberProcess } from "./member-process.js";

/** How long a wait for the group to get somewhere may take on a loaded two-core machine. */
export const GROUP_WAIT_MS = 30_000;

/**
 * The members of one group, each a `jetflow run FILE.sql --group NAME --verbose` process started
 * with the same arguments: start, crash, freeze, thaw and stop them by the test's names for them,
 * and wait for the group to get somewhere with every member's stderr in the failure message.
 *
 * @example
 * ```ts
 * const members = new GroupMembers(nc, "shop", ["run", file, "--group", "shop", "--state-bucket", "b"]);
 * const a = members.start("A");
 * await members.until("A runs a partition", () => a.runningPartitions().length > 0);
 * expect((await members.stop("A")).code, members.report()).toBe(0);
 * await members.close(); // afterAll: SIGKILLs whatever still runs
 * ```
 */
export class GroupMembers {
  private readonly members = new Map<string, MemberProcess>();

  /**
   * `nc` reads the group's status; `args` is what every member runs (`run FILE.sql --group
   * NAME ...`; `--verbose` is added: the task events are how the test sees a member work).
   */
  constructor(
    private readonly nc: NatsConnection,
    readonly group: string,
    private readonly args: readonly string[],
  ) {}

  /** Starts a new member process named `name` (a restarted member is a new name: `B2`). */
  start(name: string): MemberProcess {
    if (this.members.has(name)) throw new Error(`member ${name} was started already`);
    const member = new MemberProcess(name, [...this.args, "--verbose"]);
    this.members.set(name, member);
    return member;
  }

  /** The member started as `name`. */
  get(name: string): MemberProcess {
    const member = this.members.get(name);
    if (member === undefined) throw new Error(`no member ${name}`);
    return member;
  }

  /** Every member started, in order. */
  all(): MemberProcess[] {
    return [...this.members.values()];
  }

  /** The members whose process still runs (a frozen one included). */
  running(): MemberProcess[] {
    return this.all().filter((m) => m.running);
  }

  /** `kill -9`: a crash, no leave. Resolves once it is gone. */
  crash(name: string): Promise<Exit> {
    return this.get(name).end("SIGKILL");
  }

  /** SIGSTOP: the process is frozen (its lease runs out, its timers wait) until {@link thaw}. */
  freeze(name: string): void {
    this.get(name).signal("SIGSTOP");
  }

  /** SIGCONT: a frozen process goes on from where it was, late. */
  thaw(name: string): void {
    this.get(name).signal("SIGCONT");
  }

  /** SIGTERM: the member leaves cleanly (commits, hands its partitions over) and exits. */
  stop(name: string): Promise<Exit> {
    return this.get(name).end("SIGTERM");
  }

  /**
   * Resolves once `check` holds, polled every 100 ms; fails after `timeoutMs` naming `what`, with
   * every member's stderr.
   */
  async until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = GROUP_WAIT_MS): Promise<void> {
    await vi.waitFor(
      async () => {
        if (!(await check())) throw new Error(`timed out waiting for ${what}\n${this.report()}`);
      },
      { timeout: timeoutMs, interval: 100 },
    );
  }

  /**
   * Waits until the group is settled over exactly `members`: each process holds a lease (found by
   * its pid: a member that lost its lease rejoins under a new id), no partition is unowned, and
   * each runs the tasks of exactly the partitions it owns.
   */
  async untilSettled(members: readonly MemberProcess[], timeoutMs = GROUP_WAIT_MS): Promise<void> {
    const names = members.map((m) => m.name).join(", ");
    await this.until(
      `the group to settle over ${names}`,
      async () => {
        const status = await groupStatus(this.nc, this.group);
        if (status.unowned.length > 0 || status.members.length !== members.length) return false;
        return members.every((m) => {
          const owned = status.members.find((s) => s.pid === m.pid)?.partitions;
          return owned !== undefined && owned.join() === m.runningPartitions().join();
        });
      },
      timeoutMs,
    );
  }

  /** Every member's stderr, for an assertion message. */
  report(): string {
    return [...this.members.values()].map((m) => m.report()).join("\n");
  }

  /** Ends whatever still runs (thawed first: a frozen process ignores everything but SIGKILL). */
  async close(): Promise<void> {
    await Promise.all(
      this.running().map((m) => {
        m.signal("SIGCONT");
        return m.end("SIGKILL");
      }),
    );
  }
}
