import { JetStreamApiCodes, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { type MsgHdrs, headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { isApiError } from "./nats-errors.js";

/** Tries of an acked publish: a timeout or a lost connection is tried again, ~25 s in all. */
const ATTEMPTS = 8;
const FIRST_BACKOFF_MS = 200;

/**
 * Publishes raw messages (dead letters) so that a dropped connection loses none. To a subject a
 * JetStream stream captures, the stream's ack is awaited and a timeout or a lost connection is
 * tried again under the same `Nats-Msg-Id` (the stream's duplicate window drops a second copy);
 * to a subject no stream captures, a plain publish, flushed, tried again if the flush fails
 * (nothing stores it, so a retry may deliver it twice). Whether a stream captures a subject is
 * asked once per subject, again after a lookup that failed.
 *
 * @example
 * ```ts
 * await new RawPublisher(nc, jetstream(nc), jsm).publish("dlq.orders", payload, { "Jetflow-Error": why }, "orders:42");
 * ```
 */
export class RawPublisher {
  private readonly captured = new Map<string, Promise<boolean>>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {}

  async publish(
    subject: string,
    payload: Uint8Array,
    headers?: Readonly<Record<string, string>>,
    msgId?: string,
  ): Promise<void> {
    const h = headersOf(headers);
    const acked = { ...(h === undefined ? {} : { headers: h }), ...(msgId === undefined ? {} : { msgID: msgId }) };
    for (let attempt = 1; ; attempt++) {
      try {
        if (await this.isCaptured(subject)) {
          await this.js.publish(subject, payload, acked);
        } else {
          this.nc.publish(subject, payload, h === undefined ? undefined : { headers: h });
          await this.nc.flush();
        }
        return;
      } catch (e) {
        if (attempt === ATTEMPTS) throw e;
        await new Promise((r) => setTimeout(r, FIRST_BACKOFF_MS * 2 ** (attempt - 1)));
      }
    }
  }

  /**
   * True when a stream captures `subject`, false when the server says none does (both kept);
   * a lookup that fails for another reason (a lost connection) throws and is asked again.
   */
  private isCaptured(subject: string): Promise<boolean> {
    let known = this.captured.get(subject);
    if (known === undefined) {
      known = this.jsm.streams.find(subject).then(
        () => true,
        (e: unknown) => {
          if (isApiError(e, JetStreamApiCodes.StreamNotFound)) return false;
          this.captured.delete(subject);
          throw e;
        },
      );
      this.captured.set(subject, known);
    }
    return known;
  }
}

/** nats.js headers of `headers`, line breaks folded (a header value is one line). */
function headersOf(headers: Readonly<Record<string, string>> | undefined): MsgHdrs | undefined {
  if (headers === undefined) return undefined;
  const h = natsHeaders();
  for (const [k, v] of Object.entries(headers)) h.set(k, v.replace(/[\r\n]+/g, " "));
  return h;
}
