import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_BIN } from "../cli-process.js";
import { addStream, publishRaw } from "../sql/publish.js";

/**
 * `jetflow run FILE.sql` on a real terminal: tmux gives it a pseudo-terminal, `capture-pane`
 * reads the screen. The live display must show the progress bar and the view's table, keep the
 * table current as messages arrive, and Ctrl-C must end it with exit 0.
 */

const HAS_TMUX = spawnSync("tmux", ["-V"]).status === 0;
/** A private tmux server (its own socket file), so no user session is touched; killed and removed at the end. */
const SOCKET = path.join(os.tmpdir(), `jetflow-e2e-tmux-${process.pid}`);
const SESSION = "live";

function tmux(...args: string[]): string {
  const r = spawnSync("tmux", ["-S", SOCKET, "-f", "/dev/null", ...args], {
    encoding: "utf8",
    env: { ...process.env, TERM: "xterm-256color" },
  });
  if (r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

const screen = () => tmux("capture-pane", "-p", "-t", SESSION);

async function waitForScreen(what: string, check: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  for (;;) {
    text = screen();
    if (check(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!HAS_TMUX)(
  `jetflow run on a terminal (tmux)${HAS_TMUX ? "" : " — SKIPPED: tmux is not installed (apt-get install -y tmux)"}`,
  () => {
    let server: NatsServer;
    let dir: string;

    beforeAll(async () => {
      server = await NatsServer.start();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-tty-"));
      await addStream({ servers: server.url }, "live", ["live.>"]);
      // A backlog to catch up: 60,000 events over 5 regions.
      const regions = ["north", "south", "east", "west", "central"];
      await publishRaw(
        { servers: server.url },
        "live",
        Array.from({ length: 60_000 }, (_, i) => ({
          subject: "live.orders",
          payload: JSON.stringify({ id: i, region: regions[i % 5], amount: (i % 100) / 4 }),
        })),
      );
    });

    afterAll(async () => {
      spawnSync("tmux", ["-S", SOCKET, "kill-server"]);
      fs.rmSync(SOCKET, { force: true });
      await server?.dispose();
      if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("shows the progress bar and the view live, updates it, and exits 0 on Ctrl-C", async () => {
      const file = path.join(dir, "live.sql");
      fs.writeFileSync(
        file,
        `CREATE TABLE orders (id int PRIMARY KEY, region varchar, amount double precision)
WITH (connector = 'nats', server_url = '${server.url}', subject = 'live.orders', stream = 'live', connect_mode = 'plain')
FORMAT PLAIN ENCODE JSON;
CREATE MATERIALIZED VIEW by_region AS SELECT region, count(*) AS orders, sum(amount) AS total FROM orders GROUP BY region;
`,
      );
      // The shell tmux starts ignores Ctrl-C (jetflow handles it) and records jetflow's exit status:
      // tmux itself does not always reap the pane's process promptly enough to report it.
      const statusFile = path.join(dir, "exit-status");
      const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
      const command = `trap '' INT; ${[process.execPath, CLI_BIN, "run", file, "--print", "by_region"]
        .map(quote)
        .join(" ")}; echo $? > ${quote(statusFile)}`;
      tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", command);
      tmux("set-option", "-w", "-t", SESSION, "remain-on-exit", "on");

      // Caught up: the bar is full, nothing is behind, and the table holds the backlog's totals.
      const caughtUp = await waitForScreen(
        "the backlog caught up",
        (t) => t.includes("caught up") && t.includes("rows decoded: 60,000") && t.includes("west"),
      );
      expect(caughtUp).toMatch(/^jetflow {2}\[█{30}\] 100% {2}0 behind {2}[\d,]+ msg\/s {2}caught up$/m);
      expect(caughtUp).toMatch(/^rows decoded: 60,000 {3}bad messages: 0 {3}checkpoints: \d+$/m);
      expect(caughtUp).toMatch(/^by_region:$/m);
      expect(caughtUp).toMatch(/^ region +\| orders \| total$/m);
      expect(caughtUp).toMatch(/^ north +\| 12000 +\| 142500$/m);
      expect(caughtUp).toMatch(/^\(5 rows\)$/m);

      // Live: a new region appears on screen without restarting.
      await publishRaw({ servers: server.url }, "live", [
        { subject: "live.orders", payload: JSON.stringify({ id: 1_000_000, region: "zanzibar", amount: 2.5 }) },
      ]);
      const updated = await waitForScreen("the new row", (t) => t.includes("zanzibar"));
      expect(updated).toMatch(/^ zanzibar +\| 1 +\| 2\.5$/m);
      expect(updated).toMatch(/^\(6 rows\)$/m);

      tmux("send-keys", "-t", SESSION, "C-c");
      expect(await exitStatus(statusFile)).toBe(0);
      // Back on the normal screen: the view is printed once more (JSON Lines), the display is gone.
      const after = screen();
      expect(after).toContain('{"region":"zanzibar","orders":1,"total":2.5}');
      expect(after).not.toContain("█");
    });
  },
);

/** Waits for the wrapper shell to record jetflow's exit status. */
async function exitStatus(file: string, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    if (text.endsWith("\n")) return Number(text.trim());
    if (Date.now() > deadline) throw new Error(`jetflow did not exit after Ctrl-C; the screen:\n${screen()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
