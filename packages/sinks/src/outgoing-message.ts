import { headers, type MsgHdrs } from "@nats-io/transport-node";

/** A message of a stream sink, ready to publish: subject, payload and headers (`Nats-Msg-Id` set). */
export interface OutgoingMessage {
  readonly subject: string;
  readonly payload: string;
  readonly headers: MsgHdrs;
}

/**
 * Fresh headers of a sink message: its `Nats-Msg-Id`, and `Jetflow-Op` when it has one. Fresh per
 * call: an atomic batch adds its own headers, which a one-by-one resend must not carry.
 */
export function messageHeaders(id: string, op: "upsert" | "delete" | undefined): MsgHdrs {
  const h = headers();
  h.set("Nats-Msg-Id", id);
  if (op !== undefined) h.set("Jetflow-Op", op);
  return h;
}
