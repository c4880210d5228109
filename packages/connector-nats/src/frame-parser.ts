import { Kind, type MsgArg, Parser, State } from "@nats-io/nats-core/internal";
import type { NatsConnection } from "@nats-io/transport-node";

/** Node's `indexOf` of a byte: a native memchr, several times faster than a loop here. */
const indexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: number, byteOffset: number) => number;
const NL = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const ZERO = 48;
/** nats.js's limit for a message's size and header size (`MAX_64MB`). */
const MAX_SIZE = 64 * 1024 * 1024;
/** nats.js's limit for a number on the control line: 15 digits. */
const MAX_DIGITS = 15;
/** At most 5 arguments: `HMSG <subject> <sid> <reply> <hdr> <size>`. */
const MAX_ARGS = 5;

/**
 * nats.js's protocol parser with a fast path for what a busy subscriber mostly reads: whole
 * `MSG` and `HMSG` frames. The inherited parser is a port of nats.go's byte-at-a-time state
 * machine; on a JetStream delivery it walks the ~100-byte control line twice and makes six
 * Buffer views (about half the reading thread's time in a profile). The fast path finds the
 * line's end with one native `indexOf`, splits the arguments in one pass, reads the numbers as
 * it goes and makes three views (subject, reply, payload), built as plain `Uint8Array`s (a Node
 * `Buffer.subarray` costs a subclass construction each).
 *
 * Everything else goes to the inherited state machine, unchanged: other operations (`INFO`,
 * `PING`, `PONG`, `+OK`, `-ERR`), a frame cut by the end of a socket read (and the rest of it
 * in the next read), and anything the fast path does not recognise as well formed, so a protocol
 * error is reported with nats.js's own message. It emits the same events, in the same order,
 * as nats.js's parser for any split of the same bytes (`frame-parser.test.ts` holds it to that).
 */
export class FrameParser extends Parser {
  /** Start and end of each argument of the current control line. */
  private readonly args = new Int32Array(MAX_ARGS * 2);
  /** Where the read being parsed has its next tab at or after the line looked at (its length if none). */
  private tabAt = -1;

  override parse(buf: Uint8Array): void {
    const n = buf.length;
    this.tabAt = -1;
    let i = this.finish(buf, 0);
    while (i < n) {
      const b = buf[i] as number;
      const isMsg = b === 77 || b === 109;
      if (isMsg || b === 72 || b === 104) {
        const next = this.msg(buf, i, isMsg ? 1 : 2);
        if (next >= 0) {
          i = next;
          continue;
        }
        // Cut by the end of this read, or not exactly what the fast path reads: the state
        // machine takes the rest of the read.
        super.parse(i === 0 ? buf : buf.subarray(i));
        return;
      }
      // Another operation: the state machine, to its line's end.
      const nl = indexOf.call(buf, NL, i);
      if (nl < 0) {
        super.parse(i === 0 ? buf : buf.subarray(i));
        return;
      }
      super.parse(buf.subarray(i, nl + 1));
      i = this.finish(buf, nl + 1);
    }
  }

  /**
   * Runs the state machine from `i`, up to the end of a line at a time (every frame and operation
   * ends with one), until it is between operations: the rest of what an earlier read cut.
   * Returns where it stopped.
   */
  private finish(buf: Uint8Array, i: number): number {
    const n = buf.length;
    while (i < n && this.state !== State.OP_START) {
      const nl = indexOf.call(buf, NL, i);
      const end = nl < 0 ? n : nl + 1;
      super.parse(i === 0 && end === n ? buf : buf.subarray(i, end));
      i = end;
    }
    return i;
  }

  /**
   * Dispatches the `MSG` (`opLen` 1) or `HMSG` (`opLen` 2) frame starting at `at` and returns
   * where the next one starts, or -1 when the frame is not whole in `buf` or not exactly what
   * the fast path reads (the state machine then takes it).
   */
  private msg(buf: Uint8Array, at: number, opLen: 1 | 2): number {
    const n = buf.length;
    const i = at + opLen - 1;
    // "MSG" / "HMSG", either case, then one space (nats-server writes single spaces).
    if (opLen === 2) {
      const m = buf[i];
      if (m !== 77 && m !== 109) return -1;
    }
    const s = buf[i + 1];
    const g = buf[i + 2];
    if ((s !== 83 && s !== 115) || (g !== 71 && g !== 103) || buf[i + 3] !== SPACE) return -1;
    const lineStart = i + 4;
    const nl = indexOf.call(buf, NL, lineStart);
    const lineEnd = nl - 1;
    // A CR or a tab inside the line is left to the state machine (it reads them as separators).
    if (nl < 0 || indexOf.call(buf, CR, lineStart) !== lineEnd) return -1;
    if (this.tabAt < lineStart) {
      const t = indexOf.call(buf, TAB, lineStart);
      this.tabAt = t < 0 ? n : t;
    }
    if (this.tabAt < lineEnd) return -1;
    // The arguments, between spaces.
    const args = this.args;
    let count = 0;
    for (let p = lineStart; p < lineEnd; ) {
      let q = indexOf.call(buf, SPACE, p);
      if (q < 0 || q > lineEnd) q = lineEnd;
      if (q > p) {
        if (count === MAX_ARGS) return -1;
        args[count * 2] = p;
        args[count * 2 + 1] = q;
        count++;
      }
      p = q + 1;
    }
    const withReply = count === opLen + 3;
    if (!withReply && count !== opLen + 2) return -1;
    const sid = digits(buf, args[2] as number, args[3] as number);
    const last = (count - 1) * 2;
    const size = digits(buf, args[last] as number, args[last + 1] as number);
    if (sid < 0 || size < 0 || size > MAX_SIZE) return -1;
    let hdr = -1;
    if (opLen === 2) {
      hdr = digits(buf, args[last - 2] as number, args[last - 1] as number);
      if (hdr < 0 || hdr > size) return -1;
    }
    const payload = nl + 1;
    const end = payload + size;
    // The frame ends with CRLF; a read that ends before it leaves the frame to the state machine.
    if (end + 1 >= n || buf[end] !== CR || buf[end + 1] !== NL) return -1;
    const base = buf.byteOffset;
    const ab = buf.buffer;
    // `reply` is there even when undefined, as nats.js's parser sets it.
    const ma = {
      subject: new Uint8Array(ab, base + (args[0] as number), (args[1] as number) - (args[0] as number)),
      reply: withReply
        ? new Uint8Array(ab, base + (args[4] as number), (args[5] as number) - (args[4] as number))
        : undefined,
      sid,
      hdr,
      size,
    } as MsgArg;
    this.dispatcher.push({ kind: Kind.MSG, msg: ma, data: new Uint8Array(ab, base + payload, size) });
    return end + 2;
  }
}

/** The decimal number in `buf[start, end)`, as nats.js reads it: -1 unless 1-15 digits. */
function digits(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len === 0 || len > MAX_DIGITS) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = (buf[i] as number) - ZERO;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** What a nats.js connection keeps its parser in (nats.js 3.x internals). */
interface WithParser {
  parser: Parser;
}

/**
 * Gives `nc` a {@link FrameParser}, now (if nats.js's parser is between frames, as it is right
 * after connecting) and at every reconnect (nats.js makes a new parser then). Returns false, and
 * leaves nats.js's parser in place, when the connection's internals are not the ones this was
 * written against (another nats.js version).
 */
export function useFrameParser(nc: NatsConnection): boolean {
  const protocol = (nc as unknown as { protocol?: WithParser }).protocol;
  const d = protocol === undefined ? undefined : Object.getOwnPropertyDescriptor(protocol, "parser");
  if (protocol === undefined || d === undefined || !d.configurable || !(d.value instanceof Parser)) return false;
  const old = d.value as Parser;
  let current: Parser =
    old.state === State.OP_START && old.argBuf === undefined && old.msgBuf === undefined
      ? new FrameParser(protocol as never)
      : old;
  Object.defineProperty(protocol, "parser", {
    configurable: true,
    enumerable: true,
    get: () => current,
    // nats.js sets a new parser when a connection is lost, before it reconnects.
    set: (p: Parser) => {
      current = p instanceof Parser ? new FrameParser(p.dispatcher) : p;
    },
  });
  return true;
}
