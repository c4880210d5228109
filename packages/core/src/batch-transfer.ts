import { Data, type DataType, RecordBatch, type Schema, Struct } from "apache-arrow";

/**
 * A {@link RecordBatch} as a message between threads: every buffer of its column tree copied
 * into one `ArrayBuffer` (8-byte aligned, so each typed array is rebuilt as a view of it), and
 * the tree's shape as numbers. The receiver rebuilds the batch against a schema it already has,
 * so no type crosses, nothing is structured-cloned per row, and the one buffer is transferred.
 *
 * One copy rather than transferring the columns' own buffers: a column may be a view of memory
 * its writer still uses (a pooled `Buffer`, a larger builder buffer), which must not be detached.
 */
export interface PackedRecordBatch {
  readonly bytes: ArrayBuffer;
  /**
   * Per node of the column tree, depth first from the batch's struct: `length`, `nullCount`,
   * `offset`, then for each of the four buffer slots (value offsets, values, validity, type
   * ids) its array kind in {@link ARRAYS} (-1: none), byte offset into `bytes` and length in
   * elements.
   */
  readonly nodes: Float64Array;
}

const SLOTS = 4;
const NODE_WIDTH = 3 + 3 * SLOTS;
const ALIGN = 8;

/** The typed arrays Arrow keeps buffers in, by the number a packed node names them with. */
const ARRAYS = [
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  Uint8ClampedArray,
] as const;
type AnyArray = InstanceType<(typeof ARRAYS)[number]>;

/** Packs a batch; post `packed` with `[packed.bytes, packed.nodes.buffer]` as the transfer list. */
export function packRecordBatch(batch: RecordBatch): PackedRecordBatch {
  const datas: Data[] = [];
  collect(batch.data, datas);
  const nodes = new Float64Array(datas.length * NODE_WIDTH);
  let size = 0;
  datas.forEach((d, n) => {
    const at = n * NODE_WIDTH;
    nodes[at] = d.length;
    nodes[at + 1] = d.nullCount;
    nodes[at + 2] = d.offset;
    buffersOf(d).forEach((b, s) => {
      const slot = at + 3 + 3 * s;
      if (b === undefined) {
        nodes[slot] = -1;
        return;
      }
      const kind = ARRAYS.findIndex((A) => b instanceof A); // a Buffer is a Uint8Array
      if (kind < 0) throw new TypeError(`packRecordBatch: unexpected buffer ${b.constructor.name}`);
      size = Math.ceil(size / ALIGN) * ALIGN;
      nodes[slot] = kind;
      nodes[slot + 1] = size;
      nodes[slot + 2] = b.length;
      size += b.byteLength;
    });
  });
  const bytes = new Uint8Array(size);
  datas.forEach((d, n) => {
    buffersOf(d).forEach((b, s) => {
      if (b !== undefined)
        bytes.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), nodes[n * NODE_WIDTH + 4 + 3 * s]!);
    });
  });
  return { bytes: bytes.buffer, nodes };
}

/** The batch a {@link packRecordBatch} message carries, typed by `schema` (the sender's schema). */
export function unpackRecordBatch(schema: Schema, packed: PackedRecordBatch): RecordBatch {
  const { nodes, bytes } = packed;
  let n = 0;
  const build = (type: DataType): Data => {
    if (n * NODE_WIDTH >= nodes.length)
      throw new RangeError("unpackRecordBatch: the batch has fewer columns than the schema");
    const at = n++ * NODE_WIDTH;
    const buffers: (AnyArray | undefined)[] = [];
    for (let s = 0; s < SLOTS; s++) {
      const slot = at + 3 + 3 * s;
      const kind = nodes[slot]!;
      const A = ARRAYS[kind];
      buffers.push(A === undefined ? undefined : new A(bytes, nodes[slot + 1]!, nodes[slot + 2]!));
    }
    const children = (type.children ?? []).map((f) => build(f.type));
    return new Data(type, nodes[at + 2]!, nodes[at]!, nodes[at + 1]!, buffers as never, children);
  };
  const data = build(new Struct(schema.fields));
  if (n * NODE_WIDTH !== nodes.length)
    throw new RangeError("unpackRecordBatch: the batch has more columns than the schema");
  return new RecordBatch(schema, data as Data<Struct>);
}

function collect(d: Data, out: Data[]): void {
  if (d.dictionary !== undefined) throw new TypeError("packRecordBatch: dictionary columns are not supported");
  out.push(d);
  for (const c of d.children) collect(c, out);
}

/** A node's buffers in Arrow's slot order: value offsets, values, validity, type ids. */
function buffersOf(d: Data): (AnyArray | undefined)[] {
  return [d.valueOffsets, d.values, d.nullBitmap, d.typeIds].map((b) =>
    b === undefined || b === null || (b as AnyArray).length === undefined ? undefined : (b as AnyArray),
  );
}
