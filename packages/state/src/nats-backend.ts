import { InvalidOptionError, messageOf } from "@jetflow/core";
import { type JetStreamManager, jetstream } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { type ObjectStore, Objm, setSha256Backend } from "@nats-io/obj";
import { type NatsConnection, nuid } from "@nats-io/transport-node";
import { baseForCommit, infoOf, newestValidChain, prunable, type RecordInfo } from "./chain.js";
import type { CheckpointBackend, CheckpointRecord, RestoredCheckpoint } from "./checkpoint-backend.js";
import { CheckpointError } from "./errors.js";
import { readObject } from "./object-read.js";
import { CorruptRecordError, decodeRecord, encodeRecord, type StoredRecord } from "./record-codec.js";

/** Options of {@link natsBackend}. */
export interface NatsBackendOptions {
  /** Name of both the KV bucket (the manifest) and the object store bucket (checkpoint bytes): letters, digits, `-`, `_`. */
  bucket: string;
  /** How many full chains to keep (the newest full checkpoints and the deltas after each). @default 3 */
  keep?: number;
  /** Replicas of the two buckets when this call creates them. @default 1 */
  replicas?: number;
  /** How long one JetStream request (a chunk publish, the manifest update) may take, in ms. @default 5000 */
  timeoutMs?: number;
}

interface ResolvedNatsOptions {
  readonly bucket: string;
  readonly keep: number;
  readonly replicas: number;
  readonly timeoutMs: number;
}

/** Applies defaults and validates; errors name the option and the accepted values. */
export function resolveNatsBackendOptions(opts: NatsBackendOptions): ResolvedNatsOptions {
  const { bucket } = opts;
  if (typeof bucket !== "string" || !/^[-\w]+$/.test(bucket)) {
    throw new InvalidOptionError(
      "bucket",
      `bucket must be a non-empty name of letters, digits, "-" and "_", got "${bucket}"`,
    );
  }
  const keep = opts.keep ?? 3;
  if (!Number.isSafeInteger(keep) || keep < 1) {
    throw new InvalidOptionError("keep", `keep must be an integer of at least 1 (full chains to keep), got ${keep}`);
  }
  const replicas = opts.replicas ?? 1;
  if (!Number.isSafeInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new InvalidOptionError("replicas", `replicas must be an integer from 1 to 5, got ${replicas}`);
  }
  const timeoutMs = opts.timeoutMs ?? 5000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidOptionError("timeoutMs", `timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  }
  return { bucket, keep, replicas, timeoutMs };
}

const MANIFEST_KEY = "manifest";

/** The commit point: which checkpoints exist, and who wrote them last. */
interface Manifest {
  readonly version: 1;
  /** Random per backend instance: tells "my update landed" from "another worker wrote". */
  readonly writer: string;
  readonly records: readonly (RecordInfo & { readonly size: number })[];
}

const EMPTY: Manifest = { version: 1, writer: "", records: [] };

function objectName(id: number): string {
  return `checkpoint-${id}`;
}

/**
 * Checkpoints in NATS JetStream, so a worker on another machine can resume: each checkpoint is an
 * object in the object store `bucket`, and a small manifest in the KV bucket `bucket` lists the
 * committed ones. A commit writes the object first, then updates the manifest with a compare-and-set
 * on its revision: that update is the commit point, so a crash in between leaves the previous
 * checkpoint. A second worker committing to the same bucket gets a `conflict` error instead of
 * interleaving chains. The connection stays the caller's (`close()` does not close it).
 *
 * Switches @nats-io/obj to its native (node:crypto) SHA-256, a process-wide setting, for speed.
 *
 * @example
 * ```ts
 * const nc = await connect({ servers: "nats://127.0.0.1:4222" });
 * const backend = await natsBackend(nc, { bucket: "jetflow-orders" });
 * ```
 */
export async function natsBackend(nc: NatsConnection, opts: NatsBackendOptions): Promise<CheckpointBackend> {
  const resolved = resolveNatsBackendOptions(opts);
  setSha256Backend("native");
  try {
    const js = jetstream(nc, { timeout: resolved.timeoutMs });
    // create() also opens an existing bucket; open() covers one made with other settings.
    const kvm = new Kvm(js);
    const objm = new Objm(js);
    const kv = await kvm
      .create(resolved.bucket, { history: 1, replicas: resolved.replicas })
      .catch(() => kvm.open(resolved.bucket));
    const os = await objm
      .create(resolved.bucket, { replicas: resolved.replicas })
      .catch(() => objm.open(resolved.bucket));
    const backend = new NatsBackend(nc, resolved, kv, os, await js.jetstreamManager());
    await backend.refresh();
    return backend;
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError("read", `cannot open the NATS checkpoint bucket "${resolved.bucket}": ${messageOf(e)}`, {
      cause: e,
    });
  }
}

class NatsBackend implements CheckpointBackend {
  readonly kind = "nats" as const;
  private readonly writer = nuid.next();
  private manifest: Manifest = EMPTY;
  /** KV revision of the manifest this backend last saw; 0 when it does not exist. */
  private revision = 0;
  private lastCommitted: number | undefined;
  private reserved: number | undefined;
  /** Objects may exist that no manifest lists (a failed or crashed commit): sweep them. */
  private sweep = true;
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: ResolvedNatsOptions,
    private readonly kv: KV,
    private readonly os: ObjectStore,
    private readonly jsm: JetStreamManager,
  ) {}

  private get where(): string {
    return `NATS bucket "${this.opts.bucket}"`;
  }

  /** Reads the current manifest and its revision. */
  async refresh(): Promise<void> {
    const entry = await this.kv.get(MANIFEST_KEY);
    this.revision = entry?.revision ?? 0;
    this.manifest = entry === null || entry.operation !== "PUT" ? EMPTY : parseManifest(entry.string(), this.where);
  }

  async load(): Promise<RestoredCheckpoint | undefined> {
    this.check();
    try {
      await this.refresh();
    } catch (e) {
      throw this.wrap("read", "cannot read the checkpoint manifest of", e);
    }
    const found = await newestValidChain(
      this.manifest.records.map((r) => r.id),
      (id) => this.read(id),
    );
    this.lastCommitted = found?.restored.id;
    return found?.restored;
  }

  async commit(record: CheckpointRecord): Promise<void> {
    this.check();
    const base = baseForCommit(record, this.lastCommitted, await this.newestId(), this.where);
    this.lastCommitted = undefined;
    this.reserved = record.id;
    const { parts, size } = encodeRecord(record, base);
    try {
      await this.os.put(
        { name: objectName(record.id), options: { max_chunk_size: this.nc.info?.max_payload ?? 128 * 1024 } },
        streamOf(parts),
      );
    } catch (e) {
      this.sweep = true;
      throw this.wrap("write", `could not write checkpoint ${record.id} to`, e);
    }
    const records = [...this.manifest.records, { ...infoOf({ id: record.id, base, chunks: record.chunks }), size }];
    const dropped = new Set(prunable(records, this.opts.keep));
    const next: Manifest = { version: 1, writer: this.writer, records: records.filter((r) => !dropped.has(r.id)) };
    await this.publish(next, record.id);
    this.manifest = next;
    this.lastCommitted = record.id;
    for (const id of dropped) await this.os.delete(objectName(id)).catch(() => undefined);
    if (this.sweep) await this.sweepOrphans();
  }

  async newestId(): Promise<number | undefined> {
    let max = this.reserved;
    for (const r of this.manifest.records) if (max === undefined || r.id > max) max = r.id;
    return max;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The manifest update: compare-and-set on the revision this backend last saw. */
  private async publish(next: Manifest, id: number): Promise<void> {
    const body = JSON.stringify(next);
    try {
      this.revision =
        this.revision === 0
          ? await this.kv.create(MANIFEST_KEY, body)
          : await this.kv.update(MANIFEST_KEY, body, this.revision);
      return;
    } catch (e) {
      this.sweep = true;
      // The update may have landed with its reply lost, or another worker may have written.
      let current: { revision: number; manifest: Manifest } | undefined;
      try {
        const entry = await this.kv.get(MANIFEST_KEY);
        if (entry !== null && entry.operation === "PUT") {
          current = { revision: entry.revision, manifest: parseManifest(entry.string(), this.where) };
        }
      } catch {
        // Server unreachable: report the original failure below.
      }
      if (
        current !== undefined &&
        current.manifest.writer === this.writer &&
        current.manifest.records.some((r) => r.id === id)
      ) {
        this.revision = current.revision;
        return;
      }
      if (current !== undefined && current.revision !== this.revision) {
        throw new CheckpointError(
          "conflict",
          `another worker committed checkpoints to ${this.where} since this one read it (manifest revision ${this.revision}, now ${current.revision}); only one pipeline may use a checkpoint bucket`,
          { cause: e },
        );
      }
      throw this.wrap("write", `could not commit checkpoint ${id} to`, e);
    }
  }

  private async read(id: number): Promise<StoredRecord | undefined> {
    let bytes: Uint8Array | null;
    try {
      bytes = await readObject(this.jsm, this.os, objectName(id));
    } catch (e) {
      // Its size and SHA-256 digest are checked: a damaged object is skipped like a torn file.
      if (e instanceof CorruptRecordError) return undefined;
      throw this.wrap("read", `cannot read checkpoint ${id} from`, e);
    }
    if (bytes === null) return undefined;
    try {
      const r = decodeRecord(bytes);
      return r.id === id ? r : undefined;
    } catch (e) {
      if (e instanceof CorruptRecordError) return undefined;
      throw e;
    }
  }

  /** Deletes checkpoint objects below the newest commit that no manifest lists. Best effort. */
  private async sweepOrphans(): Promise<void> {
    try {
      const listed = new Set(this.manifest.records.map((r) => objectName(r.id)));
      const newest = this.lastCommitted ?? 0;
      for (const info of await this.os.list()) {
        const m = /^checkpoint-(\d+)$/.exec(info.name);
        if (m !== null && Number(m[1]) < newest && !listed.has(info.name)) await this.os.delete(info.name);
      }
      this.sweep = false;
    } catch {
      // Next time.
    }
  }

  private wrap(reason: "read" | "write", what: string, e: unknown): CheckpointError {
    return new CheckpointError(reason, `${what} ${this.where}: ${messageOf(e)}`, { cause: e });
  }

  private check(): void {
    if (this.closed) throw new CheckpointError("closed", `the checkpoint backend of ${this.where} is closed`);
  }
}

function parseManifest(text: string, where: string): Manifest {
  try {
    const m = JSON.parse(text) as Manifest;
    if (m.version === 1 && typeof m.writer === "string" && Array.isArray(m.records)) {
      return {
        ...m,
        records: m.records.map((r) => ({ ...r, base: (r.base ?? undefined) as number | undefined })),
      };
    }
  } catch {
    // fall through
  }
  throw new CheckpointError("read", `the checkpoint manifest of ${where} is not one jetflow wrote`);
}

/** The record's parts as a stream, without joining them. */
function streamOf(parts: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const part = parts[i++];
      if (part === undefined) controller.close();
      else controller.enqueue(part);
    },
  });
}
