import { deleteGroup, type GroupStatus, groupLag, groupStatus, type PartitionProgress } from "@jetflow/group";
import { parseFlags } from "./args.js";
import { UsageError } from "./errors.js";
import { CLIENT_FLAG_SPEC, clientFlags, connectClient } from "./nats-client.js";
import type { Io } from "./run-command.js";

export const GROUP_HELP = `Usage: jetflow group status NAME --server URL [credentials]
       jetflow group delete NAME --server URL [--state-bucket B] [--force] [credentials]

status: prints a group's members (those holding a lease), the partitions each owns, how long ago
each renewed its lease and the input messages its partitions have pending (lag); then the
partitions no live member owns (during a hand-over).

delete: removes what the group keeps on the server so its name can start over: its exchange
stream JF_X_NAME, its KV bucket, and with --state-bucket its checkpoints in that bucket (the
objects under NAME/). Refused while members run, unless --force.

Options:
  --server URL[,URL]    NATS server(s)                 (required)
  --user U --password P | --token T | --creds FILE   credentials
  --state-bucket B      (delete) the object store bucket the group checkpoints into
  --force               (delete) even while members hold a lease
Needs nats-server 2.11 or newer.
`;

/** `jetflow group status NAME` (one line per member, read-only) and `jetflow group delete NAME`. */
export async function groupCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags("group", argv, {
    ...CLIENT_FLAG_SPEC,
    "state-bucket": { type: "string" },
    force: { type: "boolean" },
  });
  if (values.help === true) {
    io.stdout.write(GROUP_HELP);
    return 0;
  }
  const [sub, name, ...extra] = positionals;
  if (sub !== "status" && sub !== "delete") {
    throw new UsageError(`group: unknown subcommand "${sub ?? ""}" (subcommands: status, delete)`);
  }
  if (name === undefined || extra.length > 0) throw new UsageError(`group ${sub}: give one group NAME`);
  if (sub === "status" && (values["state-bucket"] !== undefined || values.force === true)) {
    throw new UsageError("group status: --state-bucket and --force are options of group delete");
  }
  const nc = await connectClient(clientFlags("group", values));
  try {
    if (sub === "delete") {
      const stateBucket = values["state-bucket"];
      const deleted = await deleteGroup(nc, name, {
        ...(stateBucket === undefined ? {} : { stateBucket }),
        force: values.force === true,
      });
      io.stdout.write(
        `group ${name} deleted: its KV bucket, ${deleted.exchange ? "its exchange stream" : "no exchange stream"}, ${deleted.checkpoints} checkpoint objects\n`,
      );
      return 0;
    }
    const status = await groupStatus(nc, name);
    io.stdout.write(formatStatus(status, await groupLag(nc, name, status.partitions)));
    return 0;
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/**
 * The status as aligned text: a header line, one row per member, and the unowned partitions. A
 * member's lag is the input messages its partitions' pipelines have pending (`-` when none of its
 * partitions answered: moving, or running no pipeline).
 */
export function formatStatus(s: GroupStatus, lag: ReadonlyMap<number, PartitionProgress> = new Map()): string {
  const lagOf = (partitions: readonly number[]): string => {
    const known = partitions.map((p) => lag.get(p)).filter((x) => x !== undefined);
    return known.length === 0 ? "-" : String(known.reduce((a, x) => a + x.lag, 0));
  };
  const rows = s.members.map((m) => [
    m.id,
    m.host,
    String(m.pid),
    `${(m.leaseAgeMs / 1000).toFixed(1)}s/${m.leaseSeconds}s`,
    String(m.partitions.length),
    lagOf(m.partitions),
    m.partitions.join(","),
  ]);
  const head = ["member", "host", "pid", "lease age", "count", "lag", "partitions"];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((v, c) => v.padEnd(widths[c] as number))
      .join("  ")
      .trimEnd();
  const n = s.members.length;
  return [
    `group ${s.group}: ${s.partitions} partitions, ${n} member${n === 1 ? "" : "s"}`,
    line(head),
    ...rows.map(line),
    `unowned: ${s.unowned.length === 0 ? "none" : s.unowned.join(",")}`,
    "",
  ].join("\n");
}
