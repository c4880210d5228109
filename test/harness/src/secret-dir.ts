import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const PREFIX = "jetflow-secret-";
const OWNER = "owner.pid";
const dirs = new Set<string>();
let swept = false;

process.once("exit", () => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes secret dirs left by processes that are gone. Test runners end their workers with
 * SIGTERM, which skips `exit` handlers, so cleanup at exit alone would leak a dir per setup.
 */
export function sweepOrphans(): void {
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp)) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(tmp, name);
    try {
      const pid = Number.parseInt(fs.readFileSync(path.join(dir, OWNER), "utf8"), 10);
      if (!alive(pid)) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // No owner file: another process may be creating it right now; leave young dirs alone.
      try {
        if (Date.now() - fs.statSync(dir).mtimeMs > 600_000) fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        // Gone already, or not ours to remove.
      }
    }
  }
}

/**
 * A fresh temporary directory readable only by this user, for the files of an auth variant
 * (`.creds`, PEM keys). It lives as long as the process (one `AuthSetup` may serve several
 * servers, and clients keep reading its files): removed at exit, or by the next process that
 * creates one after this process died.
 */
export function secretDir(kind: string): string {
  if (!swept) {
    swept = true;
    sweepOrphans();
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${kind}-`));
  fs.chmodSync(dir, 0o700);
  fs.writeFileSync(path.join(dir, OWNER), String(process.pid));
  dirs.add(dir);
  return dir;
}

/** Writes `content` to `dir/name` with owner-only permissions and returns the path. */
export function writeSecret(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}
