import os from "node:os";
import { InvalidOptionError, messageOf } from "@jetflow/core";
import { JetStreamApiError, type JetStreamClient, jetstream } from "@nats-io/jetstream";
import type { KvWatchEntry } from "@nats-io/kv";
import { nuid } from "@nats-io/transport-node";
import { type Observable, Subject } from "rxjs";
import { GroupError } from "./errors.js";
import type { Group } from "./group.js";
import { GroupKeys, isNameToken, keySubject, type MemberValue, type PartitionValue, parseKey } from "./group-keys.js";
import { assignPartitions } from "./rendezvous.js";

/** Why a member stopped owning a partition. */
export type ReleaseReason = "rebalance" | "fenced" | "lease_lost" | "left";

/** What a member sees happen, as data: subscribe to {@link GroupMember.events$}. */
export type GroupEvent =
  | { readonly type: "joined"; readonly member: string }
  /** `data`: what the previous owner last wrote to the partition (its checkpoint pointer), if anything. */
  | { readonly type: "acquired"; readonly partition: number; readonly revision: number; readonly data?: unknown }
  | { readonly type: "released"; readonly partition: number; readonly reason: ReleaseReason }
  | { readonly type: "owned"; readonly partitions: readonly number[] }
  | { readonly type: "lease_lost"; readonly member: string }
  | { readonly type: "error"; readonly message: string };

/**
 * Work to finish before a rebalance hands partition `partition` over: resolves to the data to hand
 * over with it (a final checkpoint pointer), or undefined to keep what the partition holds.
 */
export type HandOver = (partition: number) => Promise<unknown>;

/** How a member joins. */
export interface MemberOptions {
  /** A readable prefix of the member id (letters, digits, `-`, `_`). @default the host name */
  readonly name?: string;
  /**
   * Seconds a lease lives without renewal; it is renewed every third of that. A member that stops
   * (crash, pause, partition) loses its partitions this long after its last renewal. @default 5
   */
  readonly leaseSeconds?: number;
}

/** A partition key's owner as last seen, with the revision that fences it and the data written with it. */
interface PartitionEntry {
  readonly owner: string | null;
  readonly revision: number;
  readonly data?: unknown;
}

function resolveMemberOptions(o: MemberOptions): { name: string; leaseSeconds: number } {
  const name = o.name ?? os.hostname().replace(/[^A-Za-z0-9_-]/g, "_");
  if (!isNameToken(name)) {
    throw new InvalidOptionError("name", `member name "${name}" may only hold letters, digits, "-" and "_"`);
  }
  const leaseSeconds = o.leaseSeconds ?? 5;
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < 1 || leaseSeconds > 3600) {
    throw new InvalidOptionError(
      "leaseSeconds",
      `leaseSeconds must be a whole number from 1 to 3600, got ${leaseSeconds}`,
    );
  }
  return { name, leaseSeconds };
}

/**
 * One process's place in a group. Invariant: a partition has at most one owner that can write,
 * because ownership lives in the KV key `partitions.<p>` and every write to it is a
 * compare-and-set on the revision the writer last saw: whoever takes a partition over moves the
 * revision, and the previous owner's next write fails (fencing), however late it wakes up.
 *
 * The member holds a lease (`members.<id>`, a per-message TTL renewed by compare-and-set), watches
 * the bucket, computes the assignment by rendezvous hashing over the live members, releases what it
 * should no longer own, and claims what it should own once the previous owner released it or lost
 * its lease. A member whose lease ran out drops everything and rejoins under a new id.
 *
 * @example
 * ```ts
 * const member = await GroupMember.join(await createOrJoinGroup(nc, { group: "orders" }));
 * member.events$.subscribe((e) => console.log(e));
 * await member.write(3, { checkpoint: "..." }); // refused once partition 3 was taken over
 * ```
 */
export class GroupMember {
  private readonly subject = new Subject<GroupEvent>();
  /** Status events; a late subscriber learns the current partitions from {@link owned}. */
  readonly events$: Observable<GroupEvent> = this.subject.asObservable();
  private readonly js: JetStreamClient;
  private readonly members = new Map<string, number>();
  private readonly partitionEntries = new Map<number, PartitionEntry>();
  private readonly mine = new Map<number, number>();
  private memberId = "";
  private leaseRevision = 0;
  private lastRenewal = 0;
  private synced = false;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();
  private handOverHook: HandOver | undefined;
  /** Partitions whose hand-over hook runs now. */
  private readonly handingOver = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private stopWatch: () => void = () => {};

  private constructor(
    readonly group: Group,
    private readonly options: { name: string; leaseSeconds: number },
  ) {
    this.js = jetstream(group.nc);
  }

  /** Joins `group`: takes a lease, starts watching, and claims a share of the partitions. */
  static async join(group: Group, options: MemberOptions = {}): Promise<GroupMember> {
    const m = new GroupMember(group, resolveMemberOptions(options));
    await m.takeLease();
    await m.watch();
    m.timer = setInterval(() => m.enqueue(() => m.tick()), (m.options.leaseSeconds * 1000) / 3);
    // A closed connection ends the member: its lease runs out on the server, nothing is left running.
    void group.nc.closed().then(() => m.stop());
    return m;
  }

  /**
   * Sets what runs before a rebalance hands a partition over (`PartitionTasks` sets it: a final
   * checkpoint, the task stopped), so the next owner starts from where this one stopped. It runs
   * outside the member's queue, so the lease keeps being renewed, for at most the lease time;
   * then, or when it fails, the partition is handed over with the data it had.
   */
  onHandOver(hook: HandOver | undefined): void {
    this.handOverHook = hook;
  }

  /** This incarnation's id (`<name>-<random>`); a member that lost its lease rejoins under a new one. */
  get id(): string {
    return this.memberId;
  }

  /** The partitions this member owns, each with its fencing revision. */
  owned(): ReadonlyMap<number, number> {
    return new Map(this.mine);
  }

  /**
   * Writes `data` to partition `partition`'s key, fenced: a compare-and-set on the revision this
   * member holds. Returns the new revision. Fails with a GroupError when another member took the
   * partition over since; the partition is then released (`fenced`). A `revision` given must be
   * the one held: one from an ownership that ended (released, lost with the lease, claimed again
   * since) is refused at once, as the server might not refuse it yet (a lease loss writes nothing).
   */
  write(partition: number, data: unknown, revision?: number): Promise<number> {
    return this.serialized(async () => {
      const held = this.mine.get(partition);
      if (revision !== undefined && revision !== held) throw this.takenOver(partition, revision);
      if (held === undefined) {
        throw new GroupError(this.group.name, `member ${this.memberId} does not own partition ${partition}`);
      }
      const rev = held;
      try {
        const next = await this.group.kv.update(
          GroupKeys.partition(partition),
          JSON.stringify({ owner: this.memberId, data } satisfies PartitionValue),
          rev,
        );
        this.mine.set(partition, next);
        this.seePartition(partition, { owner: this.memberId, revision: next, data });
        return next;
      } catch (e) {
        if (this.mine.get(partition) === held) {
          this.release(partition, "fenced");
          this.emit({ type: "owned", partitions: [...this.mine.keys()].sort((a, b) => a - b) });
        }
        throw this.takenOver(partition, rev, e);
      }
    });
  }

  private takenOver(partition: number, revision: number, cause?: unknown): GroupError {
    return new GroupError(
      this.group.name,
      `partition ${partition} of group "${this.group.name}" was taken over: write at revision ${revision} refused`,
      { cause },
    );
  }

  /** Releases every partition, ends the lease, and stops. */
  async leave(): Promise<void> {
    await this.serialized(async () => {
      if (this.closed) return;
      this.closed = true;
      clearInterval(this.timer);
      for (const [p, rev] of [...this.mine]) {
        await this.group.kv.update(GroupKeys.partition(p), this.releasedValue(p), rev).catch(() => {});
        this.release(p, "left");
      }
      await this.group.kv.delete(GroupKeys.member(this.memberId), { previousSeq: this.leaseRevision }).catch(() => {});
      this.stop();
    });
  }

  private stop(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.stopWatch();
    this.subject.complete();
  }

  private async takeLease(): Promise<void> {
    const id = `${this.options.name}-${nuid.next().slice(-8)}`;
    const value = JSON.stringify({
      id,
      name: this.options.name,
      host: os.hostname(),
      pid: process.pid,
      joined_at: new Date().toISOString(),
      lease_seconds: this.options.leaseSeconds,
    } satisfies MemberValue);
    this.leaseRevision = await this.group.kv.create(GroupKeys.member(id), value, `${this.options.leaseSeconds}s`);
    this.memberId = id;
    this.leaseValue = value;
    this.lastRenewal = Date.now();
    this.members.set(id, this.leaseRevision);
    this.emit({ type: "joined", member: id });
  }

  private leaseValue = "";

  /** Renews the lease (compare-and-set, so a lease that expired cannot be renewed), then reconciles. */
  private async tick(): Promise<void> {
    if (this.closed) return;
    try {
      const ack = await this.js.publish(keySubject(this.group.name, GroupKeys.member(this.memberId)), this.leaseValue, {
        expect: { lastSubjectSequence: this.leaseRevision },
        ttl: `${this.options.leaseSeconds}s`,
      });
      this.leaseRevision = ack.seq;
      this.lastRenewal = Date.now();
    } catch (e) {
      const refused = e instanceof JetStreamApiError;
      if (refused || Date.now() - this.lastRenewal > this.options.leaseSeconds * 1000) {
        await this.leaseLost();
        return;
      }
      this.emit({ type: "error", message: `cannot renew the lease of ${this.memberId}: ${messageOf(e)}` });
    }
    await this.reconcile();
  }

  private async leaseLost(): Promise<void> {
    const old = this.memberId;
    this.emit({ type: "lease_lost", member: old });
    const had = this.mine.size;
    for (const p of [...this.mine.keys()]) this.release(p, "lease_lost");
    if (had > 0) this.emit({ type: "owned", partitions: [] });
    this.members.delete(old);
    await this.takeLease();
    await this.reconcile();
  }

  private async watch(): Promise<void> {
    const iter = await this.group.kv.watch({ key: ">" });
    this.stopWatch = () => iter.stop();
    void (async () => {
      for await (const e of iter) this.onEntry(e);
    })().catch((e) => this.emit({ type: "error", message: `group watch ended: ${messageOf(e)}` }));
  }

  private onEntry(e: KvWatchEntry): void {
    if (this.closed) return;
    const live = e.operation === "PUT";
    let changed = false;
    const key = parseKey(e.key);
    if (key.kind === "member") {
      const id = key.id;
      if (live) {
        changed = !this.members.has(id);
        this.members.set(id, e.revision);
      } else if (this.members.has(id) && (this.members.get(id) ?? 0) < e.revision) {
        this.members.delete(id);
        changed = true;
        // Our own lease expired (we were paused or cut off): drop everything before anything else.
        if (id === this.memberId) this.enqueue(() => (id === this.memberId ? this.leaseLost() : Promise.resolve()));
      }
    } else if (key.kind === "partition") {
      const value: PartitionValue = live ? e.json<PartitionValue>() : { owner: null };
      changed = this.seePartition(
        key.partition,
        withData({ owner: value.owner ?? null, revision: e.revision }, value.data),
      );
    }
    if (e.delta === 0) this.synced = true;
    if (changed || e.delta === 0) this.enqueue(() => this.reconcile());
  }

  /** Records a partition entry if it is newer than the one known; true when it was. */
  private seePartition(p: number, entry: PartitionEntry): boolean {
    const known = this.partitionEntries.get(p);
    if (known !== undefined && known.revision >= entry.revision) return false;
    this.partitionEntries.set(p, entry);
    return true;
  }

  /** Moves this member's partitions toward its share of the rendezvous assignment. */
  private async reconcile(): Promise<void> {
    if (this.closed || !this.synced || !this.members.has(this.memberId)) return;
    const self = this.memberId;
    const desired = new Set(assignPartitions([...this.members.keys()], this.group.partitions).get(self));
    const before = [...this.mine.keys()].sort((a, b) => a - b).join();
    for (let p = 0; p < this.group.partitions; p++) {
      const entry = this.partitionEntries.get(p);
      const rev = this.mine.get(p);
      if (rev !== undefined) {
        if (entry !== undefined && entry.revision > rev && entry.owner !== self) this.release(p, "fenced");
        else if (!desired.has(p)) {
          if (this.handOverHook === undefined) await this.handOver(p, rev);
          else this.beginHandOver(p, this.handOverHook);
        }
        continue;
      }
      if (!desired.has(p)) continue;
      const free =
        entry === undefined || entry.owner === null || entry.owner === self || !this.members.has(entry.owner);
      if (free) await this.claim(p, entry);
    }
    const after = [...this.mine.keys()].sort((a, b) => a - b);
    if (after.join() !== before) this.emit({ type: "owned", partitions: after });
  }

  /** Claims partition `p` at the revision seen, keeping the data the previous owner committed. */
  private async claim(p: number, entry: PartitionEntry | undefined): Promise<void> {
    const value = JSON.stringify(withData<PartitionValue>({ owner: this.memberId }, entry?.data));
    try {
      const rev =
        entry === undefined
          ? await this.group.kv.create(GroupKeys.partition(p), value)
          : await this.group.kv.update(GroupKeys.partition(p), value, entry.revision);
      this.mine.set(p, rev);
      this.seePartition(p, withData({ owner: this.memberId, revision: rev }, entry?.data));
      this.emit(withData({ type: "acquired", partition: p, revision: rev }, entry?.data));
    } catch {
      // Another member moved the key first; the watch brings its entry and a new reconcile.
    }
  }

  /**
   * Runs `hook` for `p` outside the queue, then hands `p` over with the data it resolved to. A
   * partition lost meanwhile (fenced, lease lost, left) is not handed over again.
   */
  private beginHandOver(p: number, hook: HandOver): void {
    if (this.handingOver.has(p)) return;
    this.handingOver.add(p);
    const ms = this.options.leaseSeconds * 1000;
    void settleWithin(hook(p), ms)
      .catch((e) => {
        this.emit({ type: "error", message: `hand-over of partition ${p}: ${messageOf(e)}` });
        return undefined;
      })
      .then((data) =>
        this.serialized(async () => {
          this.handingOver.delete(p);
          const rev = this.mine.get(p);
          if (rev === undefined || this.closed) return;
          await this.handOver(p, rev, data);
          this.emit({ type: "owned", partitions: [...this.mine.keys()].sort((a, b) => a - b) });
        }),
      )
      .catch((e) => this.emit({ type: "error", message: messageOf(e) }));
  }

  /** Releases `p` (CAS at `rev`), handing over `data` with it, or the data it holds when undefined. */
  private async handOver(p: number, rev: number, data?: unknown): Promise<void> {
    try {
      const value =
        data === undefined ? this.releasedValue(p) : JSON.stringify({ owner: null, data } satisfies PartitionValue);
      const next = await this.group.kv.update(GroupKeys.partition(p), value, rev);
      this.seePartition(
        p,
        withData({ owner: null, revision: next }, data === undefined ? this.partitionEntries.get(p)?.data : data),
      );
      this.release(p, "rebalance");
    } catch {
      this.release(p, "fenced");
    }
  }

  /**
   * `partitions.<p>` released: no owner, the data kept (the next owner starts from it). The entry
   * known is at the revision held or newer; when newer, the compare-and-set fails anyway.
   */
  private releasedValue(p: number): string {
    return JSON.stringify(withData<PartitionValue>({ owner: null }, this.partitionEntries.get(p)?.data));
  }

  private release(p: number, reason: ReleaseReason): void {
    if (!this.mine.delete(p)) return;
    this.emit({ type: "released", partition: p, reason });
  }

  private emit(e: GroupEvent): void {
    if (!this.closed || e.type === "released") this.subject.next(e);
  }

  /** Runs `fn` after everything queued before it; its failure is an `error` event. */
  private enqueue(fn: () => Promise<void>): void {
    this.queue = this.queue.then(fn).catch((e) => this.emit({ type: "error", message: messageOf(e) }));
  }

  /** Runs `fn` after everything queued before it and gives its result to the caller. */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }
}

/** Resolves as `promise` does, or to undefined after `ms` milliseconds if it has not settled by then. */
function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** `o` with `data` when there is any (the optional property absent rather than undefined). */
function withData<T extends object>(o: T, data: unknown): T & { data?: unknown } {
  return data === undefined ? o : { ...o, data };
}
