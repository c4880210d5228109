import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import "protobufjs/ext/descriptor.js";
import { SchemaLoadError } from "../errors.js";

/**
 * Loads the protobuf schema named by `schema.location`: a `file://` path or an `http(s)://`
 * URL holding either `.proto` text or a compiled `FileDescriptorSet` (what
 * `protoc --include_imports --descriptor_set_out` writes). The content decides, not the
 * name: text that parses as `.proto` is used as such, anything else must decode as a
 * descriptor set. `.proto` imports are loaded next to the importing file (then next to the
 * main one); `google/protobuf/*.proto` well-known types come bundled with protobufjs.
 * Field names keep their case as written in the schema.
 *
 * @throws SchemaLoadError when the location cannot be read or holds no valid schema
 */
export async function loadProtoSchema(location: string): Promise<protobuf.Root> {
  const source = sourceOf(location);
  const bytes = await source.read(source.main);
  const text = utf8(bytes);
  let textError: unknown;
  if (text !== undefined) {
    try {
      return await loadProtoText(source, text);
    } catch (e) {
      if (e instanceof SchemaLoadError) throw e;
      textError = e;
    }
  }
  try {
    return protobuf.Root.fromDescriptor(bytes, { keepCase: true });
  } catch (descriptorError) {
    const asText = textError === undefined ? "not UTF-8 text" : message(textError);
    throw new SchemaLoadError(
      location,
      `schema.location '${location}' holds neither a valid .proto file (${asText}) nor a FileDescriptorSet (${message(descriptorError)})`,
      { cause: textError ?? descriptorError },
    );
  }
}

/** Where schema files come from: the main one and the ones it imports. */
interface SchemaSource {
  readonly location: string;
  readonly main: string;
  read(address: string): Promise<Uint8Array>;
  /** Candidate addresses of `file`, imported by the file at `from`. */
  imports(file: string, from: string): string[];
}

function sourceOf(location: string): SchemaSource {
  if (location.startsWith("file://")) return fileSource(location);
  if (location.startsWith("http://") || location.startsWith("https://")) return httpSource(location);
  throw new SchemaLoadError(location, `schema.location '${location}' must start with file://, http:// or https://`);
}

function fileSource(location: string): SchemaSource {
  // `file:///abs/path` is a URL; `file://relative/path` (common in DDL) is read from the working directory.
  const main = location.startsWith("file:///")
    ? fileURLToPath(location)
    : resolvePath(location.slice("file://".length));
  return {
    location,
    main,
    async read(address) {
      try {
        return await readFile(address);
      } catch (cause) {
        throw new SchemaLoadError(location, `cannot read schema file ${address}: ${message(cause)}`, { cause });
      }
    },
    imports: (file, from) =>
      isAbsolute(file) ? [file] : [resolvePath(dirname(from), file), resolvePath(dirname(main), file)],
  };
}

function httpSource(location: string): SchemaSource {
  return {
    location,
    main: location,
    async read(address) {
      let response: Response;
      try {
        response = await fetch(address);
      } catch (cause) {
        throw new SchemaLoadError(location, `cannot fetch schema ${address}: ${message(cause)}`, { cause });
      }
      if (!response.ok) {
        throw new SchemaLoadError(
          location,
          `cannot fetch schema ${address}: HTTP ${response.status} ${response.statusText}`,
        );
      }
      return new Uint8Array(await response.arrayBuffer());
    },
    imports: (file, from) => [new URL(file, from).href, new URL(file, location).href],
  };
}

async function loadProtoText(source: SchemaSource, mainText: string): Promise<protobuf.Root> {
  const root = new protobuf.Root();
  const loaded = new Set<string>();
  const queue: { address: string; text: string }[] = [{ address: source.main, text: mainText }];
  loaded.add(source.main);
  while (queue.length > 0) {
    const { address, text } = queue.shift()!;
    const parsed = protobuf.parse(text, root, { keepCase: true });
    for (const file of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
      if (loaded.has(file)) continue;
      loaded.add(file);
      const bundled = protobuf.common.get(file);
      if (bundled !== null) {
        root.addJSON(bundled.nested ?? {});
        continue;
      }
      queue.push(await readImport(source, file, address, loaded));
    }
  }
  try {
    root.resolveAll();
  } catch (cause) {
    throw new SchemaLoadError(source.location, `schema.location '${source.location}': ${message(cause)}`, { cause });
  }
  return root;
}

async function readImport(
  source: SchemaSource,
  file: string,
  from: string,
  loaded: Set<string>,
): Promise<{ address: string; text: string }> {
  const candidates = [...new Set(source.imports(file, from))];
  let last: unknown;
  for (const address of candidates) {
    try {
      const text = utf8(await source.read(address));
      if (text === undefined) throw new Error(`${address} is not UTF-8 text`);
      loaded.add(address);
      return { address, text };
    } catch (e) {
      last = e;
    }
  }
  throw new SchemaLoadError(
    source.location,
    `schema.location '${source.location}': cannot load import "${file}" (tried ${candidates.join(", ")}): ${message(last)}`,
    { cause: last },
  );
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
