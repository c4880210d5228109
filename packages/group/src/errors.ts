import { ErrorCode, JetflowError } from "@jetflow/core";

/**
 * A group cannot form or a member cannot keep its place: the server is too old, the group exists
 * with another partition count, the member's lease ran out, or a fenced write was refused.
 * Code `GROUP_FAILED`; `group` names the group.
 *
 * @example
 * ```ts
 * try { await createOrJoinGroup(nc, { group: "orders", partitions: 16 }); } catch (e) {
 *   if (e instanceof GroupError) console.error(e.message);
 * }
 * ```
 */
export class GroupError extends JetflowError {
  override readonly name = "GroupError";
  constructor(
    readonly group: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.GroupFailed, message, options);
  }
}

/**
 * An exchange between stages cannot be used: its stream exists with other subjects, a publish
 * was refused, or a message on it does not decode. Code `EXCHANGE_FAILED`; `group` names the group.
 *
 * @example
 * ```ts
 * try { await ensureExchangeStream(jsm, "orders"); } catch (e) {
 *   if (e instanceof ExchangeError) console.error(e.message);
 * }
 * ```
 */
export class ExchangeError extends JetflowError {
  override readonly name = "ExchangeError";
  constructor(
    readonly group: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.ExchangeFailed, message, options);
  }
}
