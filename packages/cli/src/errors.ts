import { ErrorCode, JetflowError } from "@jetflow/core";

/** The command line is wrong: an unknown flag, a missing argument, a bad value. Exit code 2. */
export class UsageError extends JetflowError {
  override readonly name = "UsageError";
  constructor(message: string) {
    super(ErrorCode.InvalidOption, message);
  }
}
