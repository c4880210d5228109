import { type ColumnDef, InvalidOptionError } from "@jetflow/core";
import protobuf from "protobufjs";
import type { PayloadParser } from "../batch-decoder.js";
import { RecordRowWriter } from "../row-writer.js";
import { jsonTextOfValue } from "../values/jsonb.js";
import { deriveColumns } from "./derive-columns.js";
import { FlatProtoReader } from "./flat-proto.js";
import { ProtoPlanner } from "./proto-plan.js";
import { loadProtoSchema } from "./schema-loader.js";

/** Decodes a payload as one message of the configured type (truncated or mis-typed wire data throws). */
class ProtobufParser implements PayloadParser {
  constructor(
    private readonly type: protobuf.Type,
    /** Messages of plain scalar columns straight from the wire, to the same values (see {@link FlatProtoReader}). */
    private readonly flat: FlatProtoReader | undefined,
  ) {}

  parse(payload: Uint8Array): unknown {
    return this.flat?.read(payload) ?? this.type.decode(payload);
  }
}

/** What `ENCODE PROTOBUF (message = ..., schema.location = ...)` needs. */
export interface ProtobufSettings {
  readonly message: string;
  readonly schemaLocation: string;
  readonly messagesAsJsonb: readonly string[];
}

/**
 * Loads the schema, finds the message and plans its columns: the declared ones matched by
 * field name, or all of the message's fields when there is no column list.
 *
 * @throws InvalidOptionError (option `message`) when the schema has no such message
 * @throws SchemaLoadError / SchemaError (see `loadProtoSchema`, `ProtoPlanner`)
 */
export async function protobufParts(settings: ProtobufSettings, declared: readonly ColumnDef[] | undefined) {
  const root = await loadProtoSchema(settings.schemaLocation);
  const type = lookupMessage(root, settings);
  const columns = declared ?? deriveColumns(type, settings.messagesAsJsonb);
  const planner = new ProtoPlanner(root, { timestamptzNumbers: "guess", jsonText: jsonTextOfValue }, 1024);
  return {
    columns,
    parser: new ProtobufParser(type, FlatProtoReader.plan(type, columns)),
    rows: new RecordRowWriter(planner.columns(type, columns), "a protobuf message"),
  };
}

function lookupMessage(root: protobuf.Root, settings: ProtobufSettings): protobuf.Type {
  const name = settings.message.replace(/^\./, "");
  try {
    return root.lookupType(name);
  } catch {
    const known = messageNames(root);
    const shown = known.length > 30 ? `${known.slice(0, 30).join(", ")}, ...` : known.join(", ");
    throw new InvalidOptionError(
      "message",
      `message '${name}' is not in schema.location '${settings.schemaLocation}' (messages: ${shown || "none"})`,
    );
  }
}

function messageNames(ns: protobuf.NamespaceBase): string[] {
  const names: string[] = [];
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) names.push(nested.fullName.slice(1));
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) names.push(...messageNames(nested));
  }
  return names.filter((n) => !n.startsWith("google.protobuf.") && !n.startsWith("JetflowJsonHolder"));
}
