import { ErrorCode, JetflowError } from "@jetflow/core";

/**
 * `schema.location` could not be read or is not a protobuf schema (missing file, HTTP error,
 * neither `.proto` text nor a `FileDescriptorSet`). Its code is `INVALID_OPTION`, like every
 * bad option; `option` is `schema.location` and `cause` has the detail.
 *
 * @example
 * ```ts
 * try { await createDecoder(spec); } catch (e) {
 *   if (e instanceof SchemaLoadError) console.error(`cannot load ${e.location}: ${e.message}`);
 * }
 * ```
 */
export class SchemaLoadError extends JetflowError {
  override readonly name = "SchemaLoadError";
  /** The option at fault, as for `InvalidOptionError`. */
  readonly option = "schema.location";
  /** The location as written in the DDL. */
  readonly location: string;

  constructor(location: string, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidOption, message, options);
    this.location = location;
  }
}
