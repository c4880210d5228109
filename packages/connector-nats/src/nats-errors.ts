import { JetflowError, messageOf } from "@jetflow/core/base";
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { errors } from "@nats-io/transport-node";
import {
  AuthenticationFailedError,
  ConnectionFailedError,
  ConsumerFailedError,
  PermissionDeniedError,
  StreamNotFoundError,
} from "./errors.js";

/** What was being done when a nats.js call failed, for the message and the error class. */
export interface ErrorContext {
  /** e.g. "creating the consumer for 'orders.*'" */
  readonly doing: string;
  readonly stream?: string;
  readonly consumerKey?: string;
  /** Secret values that must not appear in the message. */
  readonly secrets: readonly string[];
}

/**
 * JetStream API error codes (nats-server `JSErrCodes`) the source tells apart beyond nats.js's
 * `JetStreamApiCodes` table, which lacks these two.
 */
const JS_SUBJECT_NOT_IN_STREAM = 10093;
const JS_NOT_ENABLED = 10076;

/** True when `e` is the JetStream API's answer with `code` (from `JetStreamApiCodes`). */
export function isApiError(e: unknown, code: number): e is JetStreamApiError {
  return e instanceof JetStreamApiError && e.code === code;
}

/**
 * Turns a nats.js error into the typed jetflow error a user can catch by class or code, with a
 * message that says what was being done and never contains a secret.
 */
export function toJetflowError(e: unknown, ctx: ErrorContext): JetflowError {
  if (e instanceof JetflowError) return e;
  const msg = scrub(messageOf(e), ctx.secrets);
  const cause = { cause: e };
  // nats.js wraps a refused request's PermissionViolationError in a RequestError.
  const denied = findCause(e, errors.PermissionViolationError);
  if (denied !== undefined) {
    return new PermissionDeniedError(
      `permission denied while ${ctx.doing}: the user may not ${denied.operation} on '${denied.subject}'`,
      cause,
    );
  }
  if (e instanceof errors.AuthorizationError || e instanceof errors.UserAuthenticationExpiredError) {
    return new AuthenticationFailedError(`authentication failed while ${ctx.doing}: ${msg}`, cause);
  }
  if (isApiError(e, JetStreamApiCodes.StreamNotFound)) {
    const stream = ctx.stream ?? "?";
    return new StreamNotFoundError(stream, `stream '${stream}' not found while ${ctx.doing}`, cause);
  }
  if (
    e instanceof errors.NoRespondersError ||
    isApiError(e, JetStreamApiCodes.JetStreamNotEnabledForAccount) ||
    isApiError(e, JS_NOT_ENABLED)
  ) {
    return new ConnectionFailedError(
      `JetStream is not enabled for this account or server (no answer from the JetStream API while ${ctx.doing})`,
      cause,
    );
  }
  if (e instanceof JetStreamApiError) {
    if (e.code === JS_SUBJECT_NOT_IN_STREAM) {
      return new ConsumerFailedError(
        ctx.consumerKey,
        `subject '${ctx.consumerKey ?? "?"}' is not one of the subjects of stream '${ctx.stream ?? "?"}' (${msg})`,
        cause,
      );
    }
    return new ConsumerFailedError(ctx.consumerKey, `JetStream refused ${ctx.doing}: ${msg}`, cause);
  }
  if (e instanceof errors.TimeoutError || e instanceof errors.RequestError) {
    return new ConsumerFailedError(ctx.consumerKey, `no answer from the server while ${ctx.doing}: ${msg}`, cause);
  }
  if (e instanceof errors.ClosedConnectionError || e instanceof errors.ConnectionError) {
    return new ConnectionFailedError(`connection failed while ${ctx.doing}: ${msg}`, cause);
  }
  return new ConsumerFailedError(ctx.consumerKey, `failed while ${ctx.doing}: ${msg}`, cause);
}

function findCause<T extends Error>(e: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 5; c = c.cause, depth++) {
    if (c instanceof type) return c;
  }
  return undefined;
}

/** Replaces every secret value found in `text` by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("***");
  return out;
}
