import fs from "node:fs";
import readline from "node:readline";
import { jetstreamManager } from "@nats-io/jetstream";
import { parseFlags } from "./args.js";
import { UsageError } from "./errors.js";
import { CLIENT_FLAG_SPEC, clientFlags, connectClient } from "./nats-client.js";
import type { Io } from "./run-command.js";

export const LOAD_HELP = `Usage: jetflow load --server URL --subject SUBJECT FILE.jsonl [options]

Publishes every non-empty line of FILE (or - for stdin) as one message, fast (core publish into
the stream's subject), then waits until the stream holds them all.

Options:
  --server URL[,URL]    NATS server(s)                 (required)
  --subject SUBJECT     subject to publish to          (required)
  --create-stream NAME  create stream NAME on SUBJECT when no stream captures it
  --user U --password P | --token T | --creds FILE   credentials
`;

/** How many messages go out between two flushes: bounds what is in flight. */
const FLUSH_EVERY = 5_000;

export async function loadCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags("load", argv, {
    ...CLIENT_FLAG_SPEC,
    subject: { type: "string" },
    "create-stream": { type: "string" },
  });
  if (values.help === true) {
    io.stdout.write(LOAD_HELP);
    return 0;
  }
  const client = clientFlags("load", values);
  const subject = values.subject;
  if (subject === undefined || subject === "") throw new UsageError("load: --subject is required");
  const file = positionals[0];
  if (file === undefined) throw new UsageError("load: missing FILE.jsonl (use - for stdin)");
  const input = file === "-" ? process.stdin : fs.createReadStream(file);
  await new Promise<void>((resolve, reject) => {
    input.once("readable", () => resolve());
    input.once("error", (e: NodeJS.ErrnoException) =>
      reject(new UsageError(`cannot read ${file}: ${e.code ?? e.message}`)),
    );
  });

  const nc = await connectClient(client);
  try {
    const jsm = await jetstreamManager(nc);
    let stream = await jsm.streams.find(subject).catch(() => undefined);
    if (stream === undefined && values["create-stream"] !== undefined) {
      stream = values["create-stream"];
      await jsm.streams.add({ name: stream, subjects: [subject] });
    }
    if (stream === undefined) {
      throw new UsageError(`load: no stream captures subject "${subject}" (create one, or pass --create-stream NAME)`);
    }
    const before = (await jsm.streams.info(stream)).state.last_seq;
    const started = Date.now();
    const encoder = new TextEncoder();
    let count = 0;
    for await (const line of readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (line.trim() === "") continue;
      nc.publish(subject, encoder.encode(line));
      if (++count % FLUSH_EVERY === 0) await nc.flush();
    }
    await nc.flush();
    // Core publishes are not acknowledged: wait until the stream has stored every one.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const last = (await jsm.streams.info(stream)).state.last_seq;
      if (last - before >= count) break;
      if (Date.now() > deadline) {
        throw new Error(`load: stream "${stream}" stored ${last - before} of ${count} messages after 60 s`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const secs = (Date.now() - started) / 1000;
    io.stderr.write(
      `loaded ${count} messages into stream ${stream} (subject ${subject}) in ${secs.toFixed(2)} s (${Math.round(count / Math.max(secs, 0.001))} msg/s)\n`,
    );
    return 0;
  } finally {
    await nc.close();
  }
}
