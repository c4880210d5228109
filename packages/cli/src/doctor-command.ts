import { checkSubscribePermission, serverFeatures } from "@jetflow/connector-nats";
import { messageOf } from "@jetflow/core";
import { jetstreamManager } from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { parseFlags } from "./args.js";
import { UsageError } from "./errors.js";
import { CLIENT_FLAG_SPEC, clientFlags, connectClient } from "./nats-client.js";
import type { Io } from "./run-command.js";

export const DOCTOR_HELP = `Usage: jetflow doctor --server URL [--stream S --subject X] [credentials]

Checks a NATS server for jetflow: reachable, JetStream on, the server version, the features
jetflow uses on it, and with --stream and --subject what the connecting user may do there.

Options:
  --server URL[,URL]    NATS server(s)                 (required)
  --stream S            a stream to check: it exists, the user may create a consumer on it
  --subject X           a subject of it the user must be allowed to subscribe to (with --stream)
  --user U --password P | --token T | --creds FILE   credentials
Exit 0 when every check passes, 1 otherwise.
`;

/** One line of the report: what was checked, and whether it passed. */
interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Prints a report line per check; exits 1 if one failed. Secrets never reach the output. */
export async function doctorCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags("doctor", argv, {
    ...CLIENT_FLAG_SPEC,
    stream: { type: "string" },
    subject: { type: "string" },
  });
  if (values.help === true) {
    io.stdout.write(DOCTOR_HELP);
    return 0;
  }
  const client = clientFlags("doctor", values);
  if ((values.subject === undefined) !== (values.stream === undefined)) {
    throw new UsageError("doctor: --stream and --subject go together");
  }
  const checks: Check[] = [];
  const report = (c: Check) => {
    checks.push(c);
    io.stdout.write(`${c.ok ? "ok  " : "FAIL"} ${c.name.padEnd(16)} ${c.detail}\n`);
  };
  let nc: NatsConnection;
  try {
    nc = await connectClient(client);
  } catch (e) {
    report({ name: "reachable", ok: false, detail: messageOf(e) });
    return 1;
  }
  try {
    report({ name: "reachable", ok: true, detail: nc.getServer() });
    const f = serverFeatures(nc.info?.version ?? "0.0.0");
    report({ name: "version", ok: true, detail: `nats-server ${f.version}` });
    const yes = (b: boolean) => (b ? "yes" : "no");
    report({
      name: "features",
      ok: true,
      detail:
        `multi-filter consumers ${yes(f.multiFilter)} (2.10+), priority groups ${yes(f.priorityGroups)} (2.11+), ` +
        `atomic batch publish ${yes(f.atomicBatch)} (2.12+), strict API ${yes(f.strictApi)} (2.12+)`,
    });
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    try {
      const account = await jsm.getAccountInfo();
      report({
        name: "jetstream",
        ok: true,
        detail: `on (${account.streams} streams, ${account.consumers} consumers)`,
      });
    } catch (e) {
      report({ name: "jetstream", ok: false, detail: `not available to this user: ${messageOf(e)}` });
      return 1;
    }
    if (values.stream !== undefined && values.subject !== undefined) {
      await checkStream(nc, values.stream, values.subject, report);
    }
    return checks.every((c) => c.ok) ? 0 : 1;
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/** The stream exists; the user may subscribe to the subject and create (then delete) a consumer. */
async function checkStream(nc: NatsConnection, stream: string, subject: string, report: (c: Check) => void) {
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  try {
    const info = await jsm.streams.info(stream);
    report({ name: "stream", ok: true, detail: `'${stream}' (subjects: ${(info.config.subjects ?? []).join(", ")})` });
  } catch (e) {
    report({ name: "stream", ok: false, detail: `'${stream}': ${messageOf(e)}` });
    return;
  }
  try {
    await checkSubscribePermission(nc, [subject]);
    report({ name: "subscribe", ok: true, detail: `'${subject}' allowed` });
  } catch (e) {
    report({ name: "subscribe", ok: false, detail: messageOf(e) });
  }
  try {
    // What a source does: an ephemeral pull consumer on the subject; removed at once.
    const ci = await jsm.consumers.add(stream, {
      ack_policy: "none",
      filter_subject: subject,
      inactive_threshold: nanos(10_000),
      mem_storage: true,
    } as Parameters<typeof jsm.consumers.add>[1]);
    await jsm.consumers.delete(stream, ci.name);
    report({ name: "create consumer", ok: true, detail: `on '${stream}' for '${subject}' allowed` });
  } catch (e) {
    report({ name: "create consumer", ok: false, detail: `on '${stream}' for '${subject}': ${messageOf(e)}` });
  }
}
