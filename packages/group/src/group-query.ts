import {
  type ErrorCode,
  InvalidOptionError,
  JetflowError,
  messageOf,
  type SqlType,
  wholeNumberOption,
} from "@jetflow/core";
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import { Table, tableFromIPC } from "apache-arrow";
import { GroupError } from "./errors.js";
import { openGroup } from "./group.js";
import { isNameToken } from "./group-keys.js";
import { partitionOfRow } from "./partition-key.js";
import {
  decodeReply,
  encodeQuery,
  type PartitionQuery,
  type PartitionQueryReply,
  partitionQuerySubject,
  type QueryRows,
  REPLY_FORMAT_HEADER,
} from "./partition-query.js";

/** How {@link queryGroup} routes and waits. */
export interface GroupQueryOptions {
  /**
   * The relation's partition key: its columns and their SQL types. When the request's equalities
   * cover every one of them, only the partition `partitionOfRow` gives is asked (the values are
   * taken as `partitionOfRow` takes them: numbers and text for the common key types). No columns:
   * the relation lives in one partition (a global aggregate), the one an empty key gives.
   * @default none: every partition is asked
   */
  readonly relationKey?: { readonly columns: readonly string[]; readonly types: readonly SqlType[] };
  /**
   * The one partition the relation lives in (a source's relations, where its router reads it):
   * only it is asked. @default none
   */
  readonly only?: number;
  /** The group's partition count. @default read from the group's config (nats-server 2.11+) */
  readonly partitions?: number;
  /** Milliseconds one try of one partition waits for its answer. @default 1000 */
  readonly timeoutMs?: number;
  /**
   * Tries per partition before the call fails. A try that finds no responder waits out its
   * timeout before the next, so a partition is given `attempts × timeoutMs` in all: keep that above
   * the group's lease time plus a task's start, so a partition whose owner died is asked again
   * once its next owner runs it. @default 5
   */
  readonly attempts?: number;
}

interface ResolvedQueryOptions {
  readonly timeoutMs: number;
  readonly attempts: number;
}

function resolveQueryOptions(group: string, o: GroupQueryOptions): ResolvedQueryOptions {
  if (!isNameToken(group)) {
    throw new InvalidOptionError("group", `group name "${group}" may only hold letters, digits, "-" and "_"`);
  }
  const timeoutMs = wholeNumberOption("timeoutMs", o.timeoutMs, 1000, 1);
  const attempts = wholeNumberOption("attempts", o.attempts, 5, 1);
  const key = o.relationKey;
  if (key !== undefined && key.columns.length !== key.types.length) {
    throw new InvalidOptionError(
      "relationKey",
      `relationKey needs one type per key column: got ${key.columns.length} columns and ${key.types.length} types`,
    );
  }
  wholeNumberOption("partitions", o.partitions, 1, 1);
  return { timeoutMs, attempts };
}

/**
 * Queries relation `request.relation` of the dataflow group `group` runs, from any process: a
 * lookup whose equalities cover the relation's key (`relationKey`) asks only the owner of the key's
 * partition; anything else asks every partition and concatenates their rows. Each partition's
 * rows come from exactly one answer (the first), so nothing is counted twice.
 *
 * A partition that does not answer in `timeoutMs` (its owner died, or is handing it over) is
 * asked again, up to `attempts` tries. Invariant: the result holds one answer from every
 * partition asked, or the call fails.
 *
 * @example
 * ```ts
 * const eu = await queryGroup(nc, "orders", { relation: "by_region", equal: { region: "eu" } }, {
 *   relationKey: { columns: ["region"], types: [{ kind: "varchar" }] },
 * });
 * const all = await queryGroup(nc, "orders", { relation: "by_region" }); // every partition
 * ```
 * @throws GroupError naming the partitions that did not answer, or the partition that refused the
 *   query and why (an unknown relation or column; `cause` is the task's error, with its `code`)
 */
export async function queryGroup(
  nc: NatsConnection,
  group: string,
  request: PartitionQuery,
  options: GroupQueryOptions = {},
): Promise<QueryRows> {
  const replies = await gather(nc, group, { ...request, arrow: false }, options);
  const columns: string[] = [];
  const rows: unknown[][] = [];
  for (const { data } of replies) {
    const reply = decodeReply(data);
    if (!reply.ok) throw new Error("internal: a refusal passed gather()");
    if (columns.length === 0) columns.push(...reply.rows.columns);
    for (const row of reply.rows.rows) rows.push([...row]);
  }
  return { columns, rows };
}

/**
 * {@link queryGroup} with the rows as one Arrow table (the partitions' batches in partition
 * order, types kept): what prints the whole of a relation exactly as one process prints it.
 * The tasks must answer `queryTable`.
 * @throws GroupError as {@link queryGroup} does
 */
export async function queryGroupTable(
  nc: NatsConnection,
  group: string,
  request: PartitionQuery,
  options: GroupQueryOptions = {},
): Promise<Table> {
  const replies = await gather(nc, group, { ...request, arrow: true }, options);
  const tables = replies.map(({ data, p }) => {
    try {
      return tableFromIPC(data);
    } catch (e) {
      throw new GroupError(
        group,
        `group "${group}": partition ${p} answered with Arrow that does not read: ${messageOf(e)}`,
        {
          cause: e,
        },
      );
    }
  });
  const first = tables[0];
  if (first === undefined) throw new Error("internal: no partition was asked");
  return new Table(
    first.schema,
    tables.flatMap((t) => t.batches),
  );
}

/** One reply from every partition the request goes to, or the error of the first refusal or silence. */
async function gather(
  nc: NatsConnection,
  group: string,
  request: PartitionQuery,
  options: GroupQueryOptions,
): Promise<{ readonly p: number; readonly data: Uint8Array }[]> {
  const resolved = resolveQueryOptions(group, options);
  const body = encodeQuery(request);
  const n = options.partitions ?? (await openGroup(nc, group)).partitions;
  const asked = options.only === undefined ? partitionsToAsk(request, options.relationKey, n) : [options.only];
  const replies = await Promise.all(asked.map((p) => ask(nc, group, p, body, resolved)));
  const refused = replies.findIndex((r) => r !== undefined && r.refusal !== undefined);
  const refusal = replies[refused]?.refusal;
  if (refusal !== undefined) {
    // The task's own error, with its code when it had one (UNKNOWN_RELATION, ...), is the cause.
    const cause =
      refusal.code === undefined
        ? new Error(refusal.error)
        : new JetflowError(refusal.code as ErrorCode, refusal.error);
    throw new GroupError(
      group,
      `group "${group}": partition ${asked[refused]} refused the query of "${request.relation}": ${refusal.error}`,
      { cause },
    );
  }
  const silent = asked.filter((_, i) => replies[i] === undefined);
  if (silent.length > 0) {
    throw new GroupError(
      group,
      `group "${group}": ${silent.length === 1 ? "partition" : "partitions"} ${silent.join(", ")} did not answer the query of "${request.relation}" (${resolved.attempts} tries of ${resolved.timeoutMs} ms); their owner may be gone, or run no task that answers queries`,
    );
  }
  return replies.map((r, i) => ({ p: asked[i] as number, data: (r as Answer).data }));
}

/** The partitions to ask: the key's one when the equalities cover the key, else all of them. */
function partitionsToAsk(request: PartitionQuery, key: GroupQueryOptions["relationKey"], n: number): number[] {
  const equal = request.equal ?? {};
  if (key?.columns.every((c) => Object.hasOwn(equal, c))) {
    return [
      partitionOfRow(
        key.columns.map((c) => equal[c]),
        key.types,
        n,
      ),
    ];
  }
  return Array.from({ length: n }, (_, p) => p);
}

/** A partition's reply: its bytes, and the refusal when it refused (a JSON `{"ok": false}`). */
interface Answer {
  readonly data: Uint8Array;
  readonly refusal?: { readonly error: string; readonly code?: string };
}

/** Partition `p`'s reply, asked up to `attempts` times; undefined when none came. */
async function ask(
  nc: NatsConnection,
  group: string,
  p: number,
  body: string,
  { timeoutMs, attempts }: ResolvedQueryOptions,
): Promise<Answer | undefined> {
  const subject = partitionQuerySubject(group, p);
  for (let i = 0; i < attempts; i++) {
    const started = Date.now();
    let msg: Msg;
    try {
      msg = await nc.request(subject, body, { timeout: timeoutMs });
    } catch (e) {
      if (nc.isClosed()) throw e;
      // No responder (its owner is gone and the next one not yet running) fails at once: wait out
      // the try, so the tries span the time a partition takes to move.
      const left = timeoutMs - (Date.now() - started);
      if (left > 0 && i + 1 < attempts) await new Promise((resolve) => setTimeout(resolve, left));
      continue;
    }
    if (msg.headers?.get(REPLY_FORMAT_HEADER) === "arrow") return { data: msg.data };
    let reply: PartitionQueryReply;
    try {
      reply = decodeReply(msg.data);
    } catch (e) {
      throw new GroupError(
        group,
        `group "${group}": partition ${p} answered on ${subject} with no reply of the query protocol: ${messageOf(e)}`,
        {
          cause: e,
        },
      );
    }
    return reply.ok ? { data: msg.data } : { data: msg.data, refusal: reply };
  }
  return undefined;
}
