import type { JetflowError } from "@jetflow/core/base";

/**
 * What happens to a {@link NatsSource}, as data on `status$`:
 * - `connected`: (re)connected to `server`, which runs nats-server `version`
 * - `disconnected` / `reconnecting`: the connection dropped; the source keeps trying for ever
 * - `heartbeats_missed`: a consumer's idle heartbeats stopped (`count` in a row); it is checked and pulled again
 * - `consumer_recreated`: a consumer was lost (deleted, server restart, missed delivery) and created
 *   again at `fromSequence`, so nothing is skipped or repeated
 * - `caught_up`: every message that was in the stream at open has been emitted
 * - `error`: a failure the source retries (fatal ones also end `batches$` with the error)
 *
 * @example
 * ```ts
 * source.status$.subscribe((s) => { if (s.type === "error") console.error(s.error.message); });
 * ```
 */
export type SourceStatus =
  | { readonly type: "connected"; readonly server: string; readonly version: string }
  | { readonly type: "disconnected" }
  | { readonly type: "reconnecting" }
  | { readonly type: "heartbeats_missed"; readonly count: number }
  | { readonly type: "consumer_recreated"; readonly consumer: string; readonly fromSequence: number }
  | { readonly type: "caught_up" }
  | { readonly type: "error"; readonly error: JetflowError };
