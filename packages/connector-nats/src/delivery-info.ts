/**
 * The delivery fields of a JetStream message, parsed from its reply subject
 * (`$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ns>.<pending>`, or the 2.10+ form with
 * domain and account hash in front and a random token after). One instance is reused for every
 * message: parsing allocates nothing (nats.js's `JsMsg.info` splits the string into an array and
 * builds an object per message).
 */
export class DeliveryInfo {
  /** Stream sequence. */
  streamSequence = 0;
  /** Consumer (delivery) sequence. */
  deliverySequence = 0;
  /** Times delivered (1 = first delivery). */
  deliveryCount = 0;
  /** Server timestamp, microseconds since the epoch. */
  timestampUs = 0;
  /** Messages left for the consumer after this one. */
  pending = 0;

  private readonly dots = new Int32Array(16);
  /** num[0]: the value of the last digit run read; num[1..3]: fields kept (typed slots: no number boxed per message). */
  private readonly num = new Float64Array(4);
  /** `$JS.ACK.<...>.<consumer>.` of the last reply parsed in full; empty before the first. */
  private prefix: Uint8Array = new Uint8Array(0);
  /** Whether that reply had a token after the pending count (the 12-token form). */
  private token = false;
  /** `prefix` as little-endian 32-bit words (its bytes up to a multiple of four), compared a word a step. */
  private prefixWords = new Int32Array(0);
  /**
   * A view of the last reply's buffer (a socket read: the replies of one read share it), to read
   * four bytes at once. It keeps that one buffer alive until a reply from another arrives.
   */
  private view: DataView | undefined;

  /**
   * Reads `reply` into this object; false when it is not a JetStream ack subject.
   *
   * @example
   * ```ts
   * const info = new DeliveryInfo();
   * if (info.parse("$JS.ACK.S.c.1.42.7.1700000000123456789.3")) info.streamSequence; // 42
   * ```
   */
  parse(reply: string): boolean {
    const dots = this.dots;
    let n = 0;
    for (let i = 0; i < reply.length && n < dots.length; i++) {
      if (reply.charCodeAt(i) === 46) dots[n++] = i;
    }
    // tokens = dots + 1: 9 (old form) or 11/12 (new form). First index of <delivered>:
    let first: number;
    if (n === 8) first = 3;
    else if (n === 10 || n === 11) first = 5;
    else return false;
    // "$JS.ACK." prefix
    if (reply.charCodeAt(0) !== 36 || reply.charCodeAt(1) !== 74 || reply.charCodeAt(4) !== 65) return false;
    this.deliveryCount = digits(reply, dots[first]! + 1, dots[first + 1]!);
    this.streamSequence = digits(reply, dots[first + 1]! + 1, dots[first + 2]!);
    this.deliverySequence = digits(reply, dots[first + 2]! + 1, dots[first + 3]!);
    // nanoseconds exceed 2^53; dropping the last three digits first keeps microseconds exact.
    const tsEnd = dots[first + 4]!;
    this.timestampUs = digits(reply, dots[first + 3]! + 1, Math.max(dots[first + 3]! + 1, tsEnd - 3));
    this.pending = digits(reply, tsEnd + 1, first + 5 < n ? dots[first + 5]! : reply.length);
    return this.streamSequence > 0;
  }

  /**
   * {@link parse} on the reply subject's bytes, so the hot path never decodes it into a string.
   * Every reply of a consumer starts with the same `$JS.ACK.<...>.<consumer>.`: once a reply
   * was parsed in full, the next ones read the fields after a prefix of that length. The prefix
   * compared in full, from its end (the consumer name, where two prefixes differ first): checking
   * only its ends misread a reply of another shape whose bytes happened to match there (found by
   * the property test), and the whole compare costs a few ns against the digits parsed after it.
   */
  parseBytes(reply: Uint8Array): boolean {
    const prefix = this.prefix;
    const at = prefix.length;
    if (at > 0 && reply.length > at && this.samePrefix(reply, prefix, at) && this.fieldsAt(reply, at)) return true;
    return this.parseAll(reply);
  }

  /** Whether `reply` starts with `prefix` (length `at`), compared from the end: the bytes past the last whole word, then a word at a time. */
  private samePrefix(reply: Uint8Array, prefix: Uint8Array, at: number): boolean {
    const whole = at & ~3;
    for (let k = at - 1; k >= whole; k--) if (reply[k] !== prefix[k]) return false;
    let view = this.view;
    if (view === undefined || view.buffer !== reply.buffer) {
      view = new DataView(reply.buffer);
      this.view = view;
    }
    const base = reply.byteOffset;
    const words = this.prefixWords;
    for (let w = words.length - 1; w >= 0; w--) if (view.getInt32(base + 4 * w, true) !== words[w]) return false;
    return true;
  }

  /**
   * Reads `<delivered>.<sseq>.<dseq>.<ns>.<pending>` from `at`, followed by the end (or by one
   * more token when the learned form has the random token); false when the reply has another
   * shape, so the full parse decides.
   */
  private fieldsAt(reply: Uint8Array, at: number): boolean {
    const n = reply.length;
    const num = this.num;
    // <delivered>.<sseq>.<dseq>. into num[1..3]
    let i = at - 1;
    for (let f = 1; f <= 3; f++) {
      i = this.digitRun(reply, i + 1, n);
      if (i < 0 || reply[i] !== 46) return false;
      num[f] = num[0]!;
    }
    const delivered = num[1]!;
    const stream = num[2]!;
    const delivery = num[3]!;
    i = this.microsRun(reply, i + 1, n);
    if (i < 0 || reply[i] !== 46) return false;
    const micros = num[0]!;
    i = this.digitRun(reply, i + 1, n);
    if (i < 0) return false;
    if (this.token) {
      if (reply[i] !== 46 || i + 1 >= n) return false;
      for (let k = i + 1; k < n; k++) if (reply[k] === 46) return false;
    } else if (i !== n) return false;
    if (stream <= 0) return false;
    this.deliveryCount = delivered;
    this.streamSequence = stream;
    this.deliverySequence = delivery;
    this.timestampUs = micros;
    this.pending = num[0]!;
    return true;
  }

  /** Reads the digits from `i` in one pass: their value into `num[0]`; the end, or -1 when there are none. */
  private digitRun(reply: Uint8Array, i: number, n: number): number {
    const start = i;
    let v = 0;
    for (; i < n; i++) {
      const c = reply[i]! - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    this.num[0] = v;
    return i === start ? -1 : i;
  }

  /** {@link digitRun} for nanoseconds, giving microseconds: the last three digits are dropped first, so they stay exact past 2^53. */
  private microsRun(reply: Uint8Array, i: number, n: number): number {
    const start = i;
    // One pass: `v3` is the value of the digits read but the last three (`v` itself may pass 2^53).
    let v = 0;
    let v1 = 0;
    let v2 = 0;
    let v3 = 0;
    for (; i < n; i++) {
      const c = reply[i]! - 48;
      if (c < 0 || c > 9) break;
      v3 = v2;
      v2 = v1;
      v1 = v;
      v = v * 10 + c;
    }
    if (i === start) return -1;
    this.num[0] = v3;
    return i;
  }

  private parseAll(reply: Uint8Array): boolean {
    const dots = this.dots;
    let n = 0;
    for (let i = 0; i < reply.length && n < dots.length; i++) {
      if (reply[i] === 46) dots[n++] = i;
    }
    let first: number;
    if (n === 8) first = 3;
    else if (n === 10 || n === 11) first = 5;
    else return false;
    if (reply[0] !== 36 || reply[1] !== 74 || reply[4] !== 65) return false;
    this.deliveryCount = digitBytes(reply, dots[first]! + 1, dots[first + 1]!);
    this.streamSequence = digitBytes(reply, dots[first + 1]! + 1, dots[first + 2]!);
    this.deliverySequence = digitBytes(reply, dots[first + 2]! + 1, dots[first + 3]!);
    const tsEnd = dots[first + 4]!;
    this.timestampUs = digitBytes(reply, dots[first + 3]! + 1, Math.max(dots[first + 3]! + 1, tsEnd - 3));
    this.pending = digitBytes(reply, tsEnd + 1, first + 5 < n ? dots[first + 5]! : reply.length);
    const ok = this.streamSequence > 0;
    if (ok) {
      // A copy: the reply is a view of a socket read buffer, and on a Node Buffer `slice` is a view too.
      this.prefix = Uint8Array.from(reply.subarray(0, dots[first]! + 1));
      const words = this.prefix.length >> 2;
      this.prefixWords = new Int32Array(words);
      const view = new DataView(this.prefix.buffer);
      for (let w = 0; w < words; w++) this.prefixWords[w] = view.getInt32(4 * w, true);
      this.token = n === 11;
    }
    return ok;
  }
}

function digitBytes(b: Uint8Array, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = b[i]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function digits(s: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
