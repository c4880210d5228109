import { messageOf } from "@jetflow/core";
import fs from "node:fs";
import path from "node:path";
import { CheckpointError } from "./errors.js";

/**
 * Directories locked by this process (real paths), so a second backend on one directory fails too.
 * Kept on globalThis so two copies of this module (e.g. source and build) share it.
 */
const registry = globalThis as { [key: symbol]: Set<string> | undefined };
const KEY = Symbol.for("@jetflow/state.lockedDirs");
registry[KEY] ??= new Set<string>();
const held: Set<string> = registry[KEY];

export const LOCK_FILE = "LOCK";

/**
 * An exclusive claim on a state directory: a `LOCK` file holding the owner's pid. A lock left by a
 * process that died (kill -9) is taken over; one held by a live process is an error naming the
 * directory and the pid. Node has no portable flock, hence pid liveness.
 *
 * Known limit: the pid check only sees processes on this machine; a directory shared over a network
 * filesystem between machines is not protected.
 */
export class DirLock {
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly real: string,
  ) {}

  /** @throws CheckpointError `locked` when another live process or backend holds `dir` */
  static acquire(dir: string): DirLock {
    let real: string;
    try {
      fs.mkdirSync(dir, { recursive: true });
      real = fs.realpathSync(dir);
    } catch (e) {
      throw new CheckpointError("write", `cannot create the state directory ${dir}: ${messageOf(e)}`, { cause: e });
    }
    if (held.has(real)) {
      throw new CheckpointError(
        "locked",
        `state directory ${dir} is already in use by another checkpoint backend in this process; close it first`,
      );
    }
    const file = path.join(real, LOCK_FILE);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (tryCreate(real, file)) {
        held.add(real);
        return new DirLock(dir, real);
      }
      const owner = ownerOf(file);
      if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
        throw new CheckpointError(
          "locked",
          `state directory ${dir} is locked by process ${owner} (${file}); stop that process or use another state directory`,
        );
      }
      // The owner died without releasing: the lock is stale.
      try {
        fs.unlinkSync(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
          throw new CheckpointError("locked", `cannot remove the stale lock ${file}: ${messageOf(e)}`, { cause: e });
        }
      }
    }
    throw new CheckpointError("locked", `state directory ${dir} is being locked by another process (${file})`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this.real);
    try {
      if (ownerOf(path.join(this.real, LOCK_FILE)) === process.pid) fs.unlinkSync(path.join(this.real, LOCK_FILE));
    } catch {
      // Already gone: nothing to release.
    }
  }
}

/** Creates the lock with its content in one step (link of a complete temp file), so no reader sees it empty. */
function tryCreate(dir: string, file: string): boolean {
  const tmp = path.join(dir, `${LOCK_FILE}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, `${process.pid}\n`);
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new CheckpointError("write", `cannot create the lock file ${file}: ${messageOf(e)}`, { cause: e });
  } finally {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // best effort
    }
  }
}

function ownerOf(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, "utf8").trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
