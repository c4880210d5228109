import type { Pipeline } from "@jetflow/pipeline";
import type { Io } from "./run-command.js";

/**
 * `run --verbose` prints, once per server, the nats-server version its sources talk to (from
 * their `connected` status): one stderr line, `jetflow: nats-server 2.12.1 at HOST:PORT`.
 * Returns the subscription's teardown.
 */
export function printServerVersions(p: Pipeline, io: Io): () => void {
  const seen = new Set<string>();
  const sub = p.status$.subscribe((s) => {
    if (s.type !== "source" || s.status.type !== "connected") return;
    const line = serverLine("jetflow", s.status.version, s.status.server);
    if (seen.has(line)) return;
    seen.add(line);
    io.stderr.write(line);
  });
  return () => sub.unsubscribe();
}

/** `PREFIX: nats-server VERSION at SERVER\n`, the line `demo` and `run --verbose` print. */
export function serverLine(prefix: string, version: string | undefined, server: string): string {
  return `${prefix}: nats-server ${version ?? "(version unknown)"} at ${server}\n`;
}
