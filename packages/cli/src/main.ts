import { JetflowError } from "@jetflow/core";
import { UsageError } from "./errors.js";
import type { Io } from "./run-command.js";

export const HELP = `jetflow: live tables and materialized views from NATS JetStream

Usage:
  jetflow run FILE.sql [--server URL] [--state-dir DIR | --state-bucket NAME] [--until-caught-up]
                       [--print VIEW] [--format jsonl|table] [--metrics-port N] [--read-path lean|consumer]
                       [--workers N] [--shards N]
  jetflow demo [--server URL] [--duration SECONDS]
  jetflow load --server URL --subject SUBJECT FILE.jsonl
  jetflow doctor --server URL [--stream S --subject X]   (checks a server for jetflow)
  jetflow group status NAME --server URL   (a group's members, their partitions, lease ages and lag)
  jetflow group delete NAME --server URL   (remove a group's KV bucket, exchange stream, checkpoints)
  jetflow COMMAND --help

Errors exit non-zero with one line on stderr; --verbose adds the stack trace.
`;

/** Commands load on demand, so `--help` and `load` do not pay for the SQL parser and the dataflow. */
const COMMANDS: Record<string, () => Promise<(argv: string[], io: Io) => Promise<number>>> = {
  run: async () => (await import("./run-command.js")).runCommand,
  demo: async () => (await import("./demo-command.js")).demoCommand,
  load: async () => (await import("./load-command.js")).loadCommand,
  doctor: async () => (await import("./doctor-command.js")).doctorCommand,
  group: async () => (await import("./group-command.js")).groupCommand,
};

/**
 * Runs the CLI; returns the exit code: 0 ok, 1 runtime failure, 2 usage error.
 * Errors are one line on stderr (`jetflow: ...`), with the stack only under --verbose.
 */
export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    io.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === "--version") {
    io.stdout.write("jetflow 0.1.0\n");
    return 0;
  }
  const load = COMMANDS[command];
  if (load === undefined) {
    io.stderr.write(
      `jetflow: unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(", ")}; see jetflow --help)\n`,
    );
    return 2;
  }
  try {
    const run = await load();
    return await run(rest, io);
  } catch (e) {
    io.stderr.write(`jetflow: ${oneLine(e)}\n`);
    if (rest.includes("--verbose") && e instanceof Error && e.stack !== undefined) io.stderr.write(`${e.stack}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

/** The error as one line: its message, and its cause's when that adds something. */
function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const cause = e instanceof JetflowError || !(e instanceof Error) ? undefined : e.cause;
  const full = cause instanceof Error && !msg.includes(cause.message) ? `${msg}: ${cause.message}` : msg;
  return full.replace(/\s*\n\s*/g, " ");
}
