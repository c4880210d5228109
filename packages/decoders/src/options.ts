import { InvalidOptionError } from "@jetflow/core";
import type { FormatSpec } from "./decoder.js";
import type { EpochUnit } from "./values/datetime.js";

/**
 * The `ENCODE X (...)` options each encoding accepts. Unknown keys are an error (RisingWave
 * silently ignoring them is one of the failures jetflow must not repeat).
 *
 * JSON and MSGPACK:
 * - `timestamptz.handling.mode` — how epoch numbers in `timestamptz` columns are read:
 *   `guess_number_unit` (@default: seconds/ms/µs/ns by magnitude), `milli`, `micro`, or
 *   `utc_string` / `utc_without_suffix` (numbers refused; text only). Same values as RisingWave.
 *
 * PROTOBUF:
 * - `message` — required, the fully-qualified message name, e.g. `pkg.Message`.
 * - `schema.location` — required, `file://...` or `http(s)://...`: `.proto` text or a
 *   compiled `FileDescriptorSet` (`protoc --include_imports --descriptor_set_out`).
 * - `messages_as_jsonb` — optional, comma-separated fully-qualified message names whose
 *   fields become `jsonb` instead of `struct` (as in RisingWave).
 *
 * BYTES: no options.
 */
export type ResolvedFormat =
  | { readonly encode: "json"; readonly timestamptzNumbers: EpochUnit | "reject" }
  | { readonly encode: "msgpack"; readonly timestamptzNumbers: EpochUnit | "reject" }
  | {
      readonly encode: "protobuf";
      readonly message: string;
      readonly schemaLocation: string;
      readonly messagesAsJsonb: readonly string[];
    }
  | { readonly encode: "bytes" };

const TIMESTAMPTZ_MODES: Readonly<Record<string, EpochUnit | "reject">> = {
  guess_number_unit: "guess",
  milli: "milli",
  micro: "micro",
  utc_string: "reject",
  utc_without_suffix: "reject",
};

const ACCEPTED: Readonly<Record<FormatSpec["encode"], readonly string[]>> = {
  json: ["timestamptz.handling.mode"],
  msgpack: ["timestamptz.handling.mode"],
  protobuf: ["message", "schema.location", "messages_as_jsonb"],
  bytes: [],
};

/**
 * Validates a `FORMAT ... ENCODE ... (options)` clause and fills defaults.
 *
 * @throws InvalidOptionError naming the option and the accepted values
 * @example resolveFormat({ format: "plain", encode: "json", options: {} }) // { encode: "json", timestamptzNumbers: "guess" }
 */
export function resolveFormat(spec: FormatSpec): ResolvedFormat {
  if (spec.format !== "plain") {
    throw new InvalidOptionError(
      "FORMAT",
      `FORMAT ${String(spec.format).toUpperCase()} is not supported (accepted: PLAIN)`,
    );
  }
  const accepted = ACCEPTED[spec.encode];
  if (accepted === undefined) {
    throw new InvalidOptionError(
      "ENCODE",
      `ENCODE ${String(spec.encode).toUpperCase()} is not supported (accepted: ${Object.keys(ACCEPTED).join(", ").toUpperCase()})`,
    );
  }
  const clause = `ENCODE ${spec.encode.toUpperCase()}`;
  for (const key of Object.keys(spec.options)) {
    if (!accepted.includes(key)) {
      const list = accepted.length === 0 ? "it takes no options" : `accepted: ${accepted.join(", ")}`;
      throw new InvalidOptionError(key, `unknown ${clause} option "${key}" (${list})`);
    }
  }
  const options = spec.options;
  switch (spec.encode) {
    case "json":
    case "msgpack": {
      const mode = options["timestamptz.handling.mode"] ?? "guess_number_unit";
      const numbers = TIMESTAMPTZ_MODES[mode];
      if (numbers === undefined) {
        throw new InvalidOptionError(
          "timestamptz.handling.mode",
          `${clause} option timestamptz.handling.mode = '${mode}' is not valid (accepted: ${Object.keys(TIMESTAMPTZ_MODES).join(", ")})`,
        );
      }
      return { encode: spec.encode, timestamptzNumbers: numbers };
    }
    case "protobuf":
      return {
        encode: "protobuf",
        message: required(options, "message", clause, "the fully-qualified message name, e.g. 'pkg.Message'"),
        schemaLocation: required(options, "schema.location", clause, "a file:// or http(s):// URL"),
        messagesAsJsonb: (options["messages_as_jsonb"] ?? "")
          .split(",")
          .map((s) => s.trim().replace(/^\./, ""))
          .filter((s) => s.length > 0),
      };
    case "bytes":
      return { encode: "bytes" };
  }
}

function required(options: Readonly<Record<string, string>>, key: string, clause: string, what: string): string {
  const value = options[key]?.trim();
  if (value === undefined || value.length === 0) {
    throw new InvalidOptionError(key, `${clause} needs option ${key} (${what})`);
  }
  return value;
}
