import type { JsMsg } from "@nats-io/jetstream";
import type { Msg } from "@nats-io/transport-node";

/**
 * The wire bytes of a message's subject and reply as nats.js 3.x keeps them
 * (`JsMsgImpl.msg._msg`). `JsMsg.subject`/`reply` decode those bytes into new strings on first
 * access; reading the bytes lets the source parse the reply without decoding it and reuse the
 * previous subject string when the bytes repeat. Undefined when the internals differ (another
 * nats.js version): callers then fall back to the public getters.
 */
export interface WireFields {
  readonly subject?: unknown;
  readonly reply?: unknown;
}

export function wireFields(m: JsMsg): WireFields | undefined {
  return (m as unknown as { msg?: { _msg?: WireFields } }).msg?._msg;
}

/** {@link wireFields} of a core message (`MsgImpl._msg`), as the lean read path receives it. */
export function wireOf(m: Msg): WireFields | undefined {
  return (m as unknown as { _msg?: WireFields })._msg;
}

/** Reuses the last subject string while the subject bytes repeat (the common case within a consumer). */
export class SubjectCache {
  private bytes: Uint8Array | undefined;
  private text = "";

  subjectOf(m: { readonly subject: string }, wire: WireFields | undefined): string {
    const b = wire?.subject;
    if (!(b instanceof Uint8Array)) return m.subject;
    const last = this.bytes;
    if (last !== undefined && last.length === b.length) {
      let same = true;
      for (let i = 0; i < b.length; i++) {
        if (last[i] !== b[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.text;
    }
    this.text = m.subject;
    // A copy: holding the view would keep the whole socket read buffer alive (on a Node Buffer,
    // `slice` is a view too).
    this.bytes = Uint8Array.from(b);
    return this.text;
  }
}
