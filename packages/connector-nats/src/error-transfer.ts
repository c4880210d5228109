import { InvalidOptionError, JetflowError, SchemaError, UnknownTypeError } from "@jetflow/core/base";
import {
  AuthenticationFailedError,
  ConnectionFailedError,
  ConsumerFailedError,
  PermissionDeniedError,
  StreamNotFoundError,
} from "./errors.js";

/** An error as data between threads: its class by name, message, stack and own fields. */
export interface ErrorData {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** Own enumerable fields with plain values (`code`, `option`, `stream`, ...). */
  readonly fields: Readonly<Record<string, string | number | boolean>>;
  readonly cause: ErrorData | undefined;
}

// Structured clone keeps an Error's message but not its class or its fields (`code`), and users
// catch jetflow's errors by class or code: the classes a source can throw, by name.
const CLASSES: Readonly<Record<string, abstract new (...args: never[]) => Error>> = {
  JetflowError,
  InvalidOptionError,
  UnknownTypeError,
  SchemaError,
  AuthenticationFailedError,
  ConnectionFailedError,
  ConsumerFailedError,
  PermissionDeniedError,
  StreamNotFoundError,
};

/** The data of an error (any thrown value) to post to another thread. */
export function errorToData(e: unknown, depth = 0): ErrorData {
  if (!(e instanceof Error))
    return { name: "Error", message: String(e), stack: undefined, fields: {}, cause: undefined };
  const fields: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(e)) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") fields[k] = v;
  }
  const cause = e.cause !== undefined && depth < 4 ? errorToData(e.cause, depth + 1) : undefined;
  return { name: e.name, message: e.message, stack: e.stack, fields, cause };
}

/** The error again, of its class where it is one of jetflow's, with its fields and cause. */
export function errorFromData(d: ErrorData): Error {
  const cls = CLASSES[d.name] ?? (typeof d.fields.code === "string" ? JetflowError : Error);
  const e = Object.create(cls.prototype) as Error;
  Object.defineProperty(e, "message", { value: d.message, writable: true, configurable: true });
  if (d.stack !== undefined) Object.defineProperty(e, "stack", { value: d.stack, writable: true, configurable: true });
  if (d.cause !== undefined) Object.defineProperty(e, "cause", { value: errorFromData(d.cause), configurable: true });
  Object.assign(e, d.fields);
  return e;
}
