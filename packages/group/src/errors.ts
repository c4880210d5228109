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
