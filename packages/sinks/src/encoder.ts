import { type ChangeBatch, type ColumnDef, cellAt, RETRACT } from "@jetflow/core";
import type { Data } from "apache-arrow";
import { type EpochBuffer, MessageOp } from "./epoch-buffer.js";
import { SinkError } from "./errors.js";
import { joinKey } from "./key-escape.js";
import { LastPerKey } from "./last-per-key.js";
import type { SinkConfig } from "./sink-options.js";
import { fillSubject, type SubjectTemplate } from "./subject-template.js";

/** What a sink needs to know of the relation it reads. */
export interface SinkInput {
  readonly name: string;
  readonly columns: readonly ColumnDef[];
  /** The relation's key (primary key, GROUP BY columns); undefined when it has none. */
  readonly key: readonly string[] | undefined;
  /** True when the relation never retracts (a source, a table without key, a filter over them). */
  readonly appendOnly: boolean;
}

/** RisingWave's reason for refusing an append-only sink over a relation that retracts. */
const NOT_APPEND_ONLY =
  "The sink cannot be append-only. Please add \"force_append_only='true'\" in options to force the sink to be append-only. " +
  "Notice that this will cause the sink executor to drop DELETE messages and convert UPDATE messages to INSERT.";

/**
 * Turns changes into messages, as the sink's format says. Values print exactly as the CLI's
 * `--print` prints them ({@link cellAt}).
 * - PLAIN: one JSON object per inserted row; retractions are dropped (force_append_only).
 * - UPSERT: the row with op upsert, or the key columns alone with op delete; the last message
 *   per key within an epoch wins, and only it is encoded, by {@link flush} (at seal).
 * - DEBEZIUM: `{"before","after","op":"c"|"u"|"d","ts_ms"}`; a retraction and an insert of the
 *   same key in one batch are one update.
 */
export class Encoder {
  private readonly names: string[];
  private readonly keyIndexes: number[];
  private readonly subjectIndexes: number[];
  private readonly subject: SubjectTemplate | undefined;
  private readonly types: ColumnDef["type"][];
  private readonly last = new LastPerKey();

  constructor(
    sink: string,
    private readonly config: SinkConfig,
    input: SinkInput,
  ) {
    const { format } = config;
    if (format === "plain" && !input.appendOnly && !config.forceAppendOnly) {
      throw new SinkError(sink, `sink "${sink}" over "${input.name}": ${NOT_APPEND_ONLY}`);
    }
    const names = input.columns.map((c) => c.name);
    this.names = names.map((n) => `${JSON.stringify(n)}:`);
    const indexOf = (option: string, column: string): number => {
      const i = names.indexOf(column);
      if (i < 0) {
        throw new SinkError(
          sink,
          `sink "${sink}": ${option} names column "${column}", which "${input.name}" does not have (columns: ${names.join(", ")})`,
        );
      }
      return i;
    };
    const key = config.primaryKey ?? input.key ?? [];
    this.keyIndexes = key.map((c) => indexOf("primary_key", c));
    if (format === "upsert" && key.length === 0) {
      throw new SinkError(
        sink,
        `sink "${sink}": FORMAT UPSERT needs a key: "${input.name}" has none (no primary key or GROUP BY); set primary_key = 'col,...'`,
      );
    }
    this.subject = config.target.kind === "stream" ? config.target.subject : undefined;
    this.subjectIndexes = (this.subject?.columns ?? []).map((c) => indexOf("subject", c));
    this.types = input.columns.map((c) => c.type);
  }

  /** UPSERT changes held until {@link flush}: one per key. */
  get deferred(): number {
    return this.last.size;
  }

  /** Encodes the UPSERT changes held (the last per key) into the buffer: call before sealing it. */
  flush(into: EpochBuffer): void {
    this.last.drain((datas, i, retract) => {
      const key = joinKey(this.keyIndexes.map((c) => this.text(datas, c, i)));
      // A KV sink writes under the key; a stream sink under its subject.
      const subject = this.subject === undefined ? key : this.subjectOf(datas, i);
      if (retract) {
        const keyJson = `{${this.keyIndexes.map((c) => (this.names[c] as string) + this.json(datas, c, i)).join(",")}}`;
        into.add(subject, keyJson, MessageOp.delete);
      } else into.add(subject, this.row(datas, i), MessageOp.upsert);
    });
  }

  private json(datas: readonly (Data | undefined)[], c: number, i: number): string {
    const d = datas[c];
    return d === undefined ? "null" : cellAt(d, i, this.types[c] as ColumnDef["type"]).json;
  }

  private text(datas: readonly (Data | undefined)[], c: number, i: number): string | null {
    const j = this.json(datas, c, i);
    return j === "null" ? null : j.startsWith('"') ? (JSON.parse(j) as string) : j;
  }

  private row(datas: readonly (Data | undefined)[], i: number): string {
    return `{${this.names.map((n, c) => n + this.json(datas, c, i)).join(",")}}`;
  }

  private subjectOf(datas: readonly (Data | undefined)[], i: number): string {
    return this.subject === undefined
      ? ""
      : fillSubject(
          this.subject,
          this.subjectIndexes.map((c) => this.text(datas, c, i)),
        );
  }

  /** Encodes one change into the epoch's buffer. */
  encode(change: ChangeBatch, into: EpochBuffer): void {
    const { batch, ops } = change;
    const datas = this.types.map((_, c) => batch.data.children[c] as Data | undefined);
    const row = (i: number): string => this.row(datas, i);
    const subjectOf = (i: number): string => this.subjectOf(datas, i);
    const keyOf = (i: number): string => joinKey(this.keyIndexes.map((c) => this.text(datas, c, i)));
    const n = batch.numRows;
    switch (this.config.format) {
      case "plain":
        for (let i = 0; i < n; i++)
          if (ops === undefined || ops[i] !== RETRACT) into.add(subjectOf(i), row(i), MessageOp.none);
        return;
      case "upsert": {
        // Only the key now (equal values, equal strings); the rest at flush.
        const one = this.keyIndexes.length === 1 ? (this.keyIndexes[0] as number) : -1;
        const text = one >= 0 && this.types[one]?.kind === "varchar" ? datas[one] : undefined;
        this.last.batch(datas);
        for (let i = 0; i < n; i++) {
          const key =
            text !== undefined
              ? textKey(text, i)
              : one >= 0
                ? this.json(datas, one, i)
                : this.keyIndexes.map((c) => this.json(datas, c, i)).join("\u0000");
          this.last.set(key, i, ops !== undefined && ops[i] === RETRACT);
        }
        return;
      }
      case "debezium":
        this.debezium(n, ops, row, subjectOf, keyOf, into);
        return;
    }
  }

  private debezium(
    n: number,
    ops: Int8Array | undefined,
    row: (i: number) => string,
    subjectOf: (i: number) => string,
    keyOf: (i: number) => string,
    into: EpochBuffer,
  ): void {
    const ts = Date.now();
    const message = (before: string, after: string, op: string) =>
      `{"before":${before},"after":${after},"op":"${op}","ts_ms":${ts}}`;
    const keyed = this.keyIndexes.length > 0;
    // Retractions waiting for an insert of their key in this batch (then: one update).
    const pending = new Map<string, number>();
    const flushDeletes = () => {
      for (const i of pending.values()) into.add(subjectOf(i), message(row(i), "null", "d"), MessageOp.none);
      pending.clear();
    };
    for (let i = 0; i < n; i++) {
      const retract = ops !== undefined && ops[i] === RETRACT;
      if (!keyed) {
        into.add(subjectOf(i), retract ? message(row(i), "null", "d") : message("null", row(i), "c"), MessageOp.none);
        continue;
      }
      const key = keyOf(i);
      if (retract) {
        if (pending.has(key)) flushDeletes();
        pending.set(key, i);
        continue;
      }
      const before = pending.get(key);
      if (before === undefined) into.add(subjectOf(i), message("null", row(i), "c"), MessageOp.none);
      else {
        pending.delete(key);
        into.add(subjectOf(i), message(row(before), row(i), "u"), MessageOp.none);
      }
    }
    flushDeletes();
  }
}

const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;
/** Not a latin1 string of any bytes (its code is above 0xff): the key of a null text. */
const NULL_TEXT_KEY = "\u0100";

/**
 * A text key as a string equal for equal values, without decoding it: its UTF-8 bytes read as
 * latin1 (one char per byte, so equal bytes and only equal bytes give equal strings).
 */
function textKey(d: Data, i: number): string {
  if (!d.getValid(i)) return NULL_TEXT_KEY;
  const offsets = d.valueOffsets as Int32Array;
  return latin1Slice.call(d.values as Uint8Array, offsets[i] as number, offsets[i + 1] as number);
}
