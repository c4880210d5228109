import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { secretDir, sweepOrphans, writeSecret } from "./secret-dir.js";

describe("secretDir", () => {
  it("creates an owner-only directory and owner-only files", () => {
    const dir = secretDir("test");
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const file = writeSecret(dir, "k.pem", "secret");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, "utf8")).toBe("secret");
  });

  it("is removed by a later process once its owner has died, even by a signal", () => {
    // Test workers are ended by SIGTERM, so their exit handlers never run; the next process sweeps.
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    const orphan = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-secret-orphan-"));
    fs.writeFileSync(path.join(orphan, "owner.pid"), String(dead));
    const mine = secretDir("mine");
    sweepOrphans();
    expect(fs.existsSync(orphan)).toBe(false);
    expect(fs.existsSync(mine)).toBe(true);
  });
});
