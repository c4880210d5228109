import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RestoredCheckpoint } from "./checkpoint-backend.js";
import { filesystemBackend } from "./filesystem-backend.js";
import { contentsOf } from "./testing/backend-contract.js";
import { startWriter } from "./testing/child.js";
import { expectedAfter } from "./testing/crash-workload.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-fs-crash-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("filesystemBackend under SIGKILL", () => {
  it("always loads a complete checkpoint, never older than the last acknowledged commit", async () => {
    const dir = path.join(root, "state");
    let lastLoaded = 0;
    let lastSeq = 0;
    const kills: string[] = [];
    for (let round = 0; round < 5; round++) {
      const child = startWriter(dir, "write");
      try {
        const restoredLine = await child.waitFor(/^restored /);
        // The child restores exactly what this process verified after the previous kill.
        expect(restoredLine).toBe(`restored ${lastLoaded} ${lastSeq}`);
        await child.waitFor(/^committed /);
        // Let it run a random while (writes, fsyncs, renames and prunes in flight), then kill it.
        const delay = Math.floor(Math.random() * 250);
        await new Promise((r) => setTimeout(r, delay));
      } finally {
        await child.kill();
      }
      const committed = child.lines.filter((l) => l.startsWith("committed ")).map((l) => Number(l.split(" ")[1]));
      const lastAcked = Math.max(...committed);
      kills.push(`round ${round}: killed after ${committed.length} commits (last ${lastAcked})`);

      const backend = filesystemBackend(dir, { keep: 2 }); // the child's lock is stale now
      try {
        const r = (await backend.load()) as RestoredCheckpoint;
        expect(r, kills.join("\n")).toBeDefined();
        expect(r.id, kills.join("\n")).toBeGreaterThanOrEqual(lastAcked);
        expect(r.id).toBeGreaterThan(lastLoaded);
        expect(r.meta).toEqual({ fingerprint: "crash" });
        const seq = r.offsets["src"]?.["c"] as number;
        expect(seq).toBeGreaterThan(lastSeq);
        // The state is exactly the one its offsets produce: nothing lost, nothing applied twice.
        expect(contentsOf(r)).toEqual(expectedAfter(seq));
        lastLoaded = r.id;
        lastSeq = seq;
      } finally {
        await backend.close();
      }
      // keep: 2 bounds the directory across crashes: it never grows from round to round. Two full
      // chains of fullEvery (4) records, plus what a kill can leave behind: two writes in flight
      // and up to two commits whose prune it cut short (the next process prunes them).
      const files = fs.readdirSync(dir).filter((f) => f.endsWith(".jfck"));
      expect(files.length, `${kills.join("\n")}\n${files.join(" ")}`).toBeLessThanOrEqual(2 * 4 + 4);
    }
  }, 120_000);
});
