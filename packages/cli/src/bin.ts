#!/usr/bin/env node
import { main } from "./main.js";

const interrupted = new Promise<void>((resolve) => {
  process.once("SIGINT", () => resolve());
  process.once("SIGTERM", () => resolve());
  // The reader of stdout went away (`jetflow run ... | head`): stop as on Ctrl-C (a last
  // checkpoint, then exit 0) instead of dying on an unhandled EPIPE. Later writes fail the same way.
  let gone = false;
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (gone || e.code === "EPIPE") {
      gone = true;
      resolve();
      return;
    }
    throw e;
  });
});

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, interrupted });
// A finished command exits now: nats.js can leave a socket or a timer behind after a failed
// connect (a silent port, a refused TLS handshake), which would keep the process alive. Pipes
// are written asynchronously, so exiting before they drain would cut the output short.
process.exitCode = code;
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);

/**
 * Resolves once everything written to `stream` so far has been handed to the OS: a write's
 * callback runs after the writes queued before it (also when the stream failed, e.g. the
 * reader closed the pipe).
 */
function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.write("", () => resolve());
  });
}
