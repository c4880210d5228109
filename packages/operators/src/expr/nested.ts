import type { SqlType } from "@jetflow/core";
import type { Col } from "../columnar/col.js";
import { fromPlain, type Plain, plainValues } from "../columnar/plain.js";
import { unsupported } from "../errors.js";
import { callNode, castNode, coerce, type Node } from "./node.js";
import { jsonbText } from "./text.js";
import { INTEGER, JSONB, typeName, VARCHAR } from "./types.js";

/**
 * Access into nested values: jsonb `->`, `->>`, `#>>`, struct fields `(col).field`, array
 * subscripts `arr[i]` (1-based; out of range is NULL) and `array_length(arr, 1)`.
 * jsonb numbers go through JS doubles (a literal beyond 2^53 loses digits).
 */
export function compileNested(fn: string, args: readonly Node[]): Node | undefined {
  switch (fn) {
    case "json_get":
    case "json_get_text": {
      const [json, key] = two(fn, args);
      const byIndex = key.type.kind === "integer" || key.type.kind === "smallint" || key.type.kind === "bigint";
      const k = byIndex ? castNode(key, INTEGER) : text(key, fn);
      const asText = fn === "json_get_text";
      return callNode(asText ? VARCHAR : JSONB, [jsonb(json, fn), k], ([j, kk]) =>
        perRow([j as Col, kk as Col], asText ? VARCHAR : JSONB, ([doc, at]) =>
          output(step(parse(doc as string), at as string | number, true), asText),
        ),
      );
    }
    case "json_path_text": {
      const [json, path] = two(fn, args);
      return callNode(VARCHAR, [jsonb(json, fn), text(path, fn)], ([j, p]) =>
        perRow([j as Col, p as Col], VARCHAR, ([doc, at]) => {
          let v = parse(doc as string);
          pathParts(at as string).forEach((part, depth) => {
            v = step(v, /^-?\d+$/.test(part) ? Number(part) : part, depth === 0);
          });
          return output(v, true);
        }),
      );
    }
    case "field": {
      const [struct, name] = two(fn, args);
      const field = name.constant?.value;
      if (struct.type.kind !== "struct")
        throw unsupported(`field selection needs a struct, not ${typeName(struct.type)}`);
      const f = struct.type.fields.find((x) => x.name === field);
      if (f === undefined) {
        throw unsupported(`column "${String(field)}" not found in data type ${typeName(struct.type)}`);
      }
      return callNode(f.type, [struct], ([s]) =>
        perRow([s as Col], f.type, ([v]) => (v as Record<string, Plain>)[f.name] ?? null),
      );
    }
    case "subscript": {
      const [list, index] = two(fn, args);
      if (list.type.kind !== "list") throw unsupported(`cannot subscript type ${typeName(list.type)}`);
      const element = list.type.element;
      return callNode(element, [list, castNode(index, INTEGER)], ([l, i]) =>
        perRow([l as Col, i as Col], element, ([v, at]) => (v as Plain[])[(at as number) - 1] ?? null),
      );
    }
    case "array_length": {
      const [list, dim] = two(fn, args);
      if (list.type.kind !== "list") throw unsupported(`function array_length(${typeName(list.type)}) does not exist`);
      return callNode(INTEGER, [list, castNode(dim, INTEGER)], ([l, d]) =>
        perRow([l as Col, d as Col], INTEGER, ([v, at]) =>
          // PostgreSQL: NULL for an empty array and for dimensions it does not have.
          at === 1 && (v as Plain[]).length > 0 ? (v as Plain[]).length : null,
        ),
      );
    }
    default:
      return undefined;
  }
}

function two(fn: string, args: readonly Node[]): [Node, Node] {
  if (args.length !== 2) throw unsupported(`${fn} takes 2 arguments, got ${args.length}`);
  return args as [Node, Node];
}

function text(node: Node, fn: string): Node {
  if (node.type.kind === "varchar") return node;
  if (node.untyped) return coerce(node, VARCHAR, fn);
  throw unsupported(`operator ${fn} does not take ${typeName(node.type)}`);
}

function jsonb(node: Node, fn: string): Node {
  if (node.type.kind === "jsonb") return node;
  if (node.untyped) return coerce(node, JSONB, fn);
  throw unsupported(`operator does not exist: ${typeName(node.type)} ${fn === "json_path_text" ? "#>>" : "->"}`);
}

/** `f` over the rows where no argument is NULL (the others, and undefined/null results, are NULL). */
function perRow(cols: readonly Col[], type: SqlType, f: (values: Plain[]) => Plain): Col {
  const plains = cols.map(plainValues);
  const n = cols[0]?.length ?? 0;
  const out = new Array<Plain>(n);
  for (let i = 0; i < n; i++) {
    const values = plains.map((p) => p[i]);
    out[i] = values.some((v) => v === null) ? null : (f(values) ?? null);
  }
  return fromPlain(out, type);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `value -> key`: an object's member or an array's element (negative counts from the end); undefined when absent. */
function step(value: unknown, key: string | number, top: boolean): unknown {
  // PostgreSQL keeps a document that is a scalar as a one-element array: `'5'::jsonb -> 0` is 5.
  if (value === null || typeof value !== "object") return top && (key === 0 || key === -1) ? value : undefined;
  if (Array.isArray(value)) {
    if (typeof key !== "number") return undefined;
    return value[key < 0 ? value.length + key : key];
  }
  if (typeof key !== "string") return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

/** jsonb text, or for `->>` the text of a string and NULL for a JSON null. */
function output(v: unknown, asText: boolean): Plain {
  if (v === undefined) return null;
  if (asText) {
    if (v === null) return null;
    if (typeof v === "string") return v;
  }
  return jsonbText(v);
}

/** A text[] path literal `{a,1,b}` as its parts. */
function pathParts(path: string): string[] {
  const inner = path.trim().replace(/^\{/, "").replace(/\}$/, "");
  return inner === "" ? [] : inner.split(",").map((p) => p.trim().replace(/^"(.*)"$/, "$1"));
}
