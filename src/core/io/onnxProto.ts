/**
 * A small writer for the ONNX protobuf messages an exported model needs (ModelProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto). The protobuf wire format is only varints, 32-bit floats and
 * length-prefixed bytes, so ~150 lines replace a protobuf dependency. Field numbers follow onnx/onnx.proto.
 * Repeated scalars are written unpacked (onnx.proto is proto2, where that is the default; parsers must accept
 * both). Tensor data goes into `raw_data` as little-endian bytes, which is what onnx.numpy_helper writes.
 */

/** TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

/** ONNX IR version 7 is the one that introduced opset 13 (onnx 1.8); runtimes load any IR >= it. */
export const ONNX_IR_VERSION = 7;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: typeof ONNX_FLOAT | typeof ONNX_INT64;
  /** FLOAT: float32 values; INT64: integer values (safe integers). */
  values: Float32Array | number[];
}

export type OnnxAttributeValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] };

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: Record<string, OnnxAttributeValue>;
}

/** A graph input or output: float tensor with fixed dims, or a named symbolic dim (the batch). */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  dims: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  docString?: string;
}

export interface OnnxModel {
  graph: OnnxGraph;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  /** metadata_props: key/value strings a viewer shows (source checkpoint, level, sparsity). */
  metadata?: Record<string, string>;
}

/** Byte runs at least this long are kept as pieces of the output, not copied (tensor data, big strings). */
const PIECE_BYTES = 4096;

/**
 * Protobuf writer that builds its output as a list of pieces: scalars go into a small growable buffer, long
 * byte runs (a tensor's raw data) are referenced, not copied, and a nested message adds its pieces after its
 * length prefix. An 80 MB model is thus never copied or reallocated while it is encoded: copying it once per
 * nesting level (tensor, graph, model) took seconds and, being native work that V8 cannot interrupt, made
 * `elsa extract --format onnx` slow to stop.
 */
class Writer {
  private pieces: Uint8Array[] = [];
  private buf = new Uint8Array(256);
  private len = 0;
  /** Bytes in `pieces` (the current buffer not included). */
  private piecesLength = 0;

  get length(): number {
    return this.piecesLength + this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Ends the current buffer as a piece, so that a referenced run can follow it. */
  private flush(): void {
    if (this.len === 0) return;
    this.pieces.push(this.buf.slice(0, this.len));
    this.piecesLength += this.len;
    this.len = 0;
  }

  private append(data: Uint8Array): void {
    if (data.length < PIECE_BYTES) {
      this.reserve(data.length);
      this.buf.set(data, this.len);
      this.len += data.length;
      return;
    }
    this.flush();
    this.pieces.push(data);
    this.piecesLength += data.length;
  }

  /** Unsigned varint of a non-negative safe integer, or a negative int64 as its 10-byte two's complement. */
  varint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf varint: ${value} is not a safe integer`);
    let v = BigInt.asUintN(64, BigInt(value));
    this.reserve(10);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
  }

  tag(field: number, wireType: 0 | 2 | 5): void {
    this.varint(field * 8 + wireType);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.append(data);
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  int(field: number, value: number): void {
    this.tag(field, 0);
    this.varint(value);
  }

  float(field: number, value: number): void {
    this.tag(field, 5);
    this.reserve(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, value, true);
    this.len += 4;
  }

  message(field: number, write: (w: Writer) => void): void {
    const inner = new Writer();
    write(inner);
    this.tag(field, 2);
    this.varint(inner.length);
    for (const piece of inner.finish()) this.append(piece);
  }

  /** The encoded bytes, in order (their concatenation is the message). */
  finish(): Uint8Array[] {
    this.flush();
    return this.pieces;
  }
}

/** Whether this machine stores a float32 as ONNX does (little-endian): then tensor data is written as it is. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianBytes(t: OnnxTensor): Uint8Array {
  if (t.dataType === ONNX_FLOAT) {
    const values = t.values as Float32Array;
    if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const out = new Uint8Array(values.length * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
    return out;
  }
  const values = t.values as number[];
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setBigInt64(i * 8, BigInt(values[i]), true);
  return out;
}

// TensorProto: dims=1, data_type=2, name=8, raw_data=9.
function writeTensor(w: Writer, t: OnnxTensor): void {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (count !== t.values.length) throw new RangeError(`ONNX tensor "${t.name}": dims [${t.dims.join(', ')}] hold ${count} values, got ${t.values.length}`);
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, littleEndianBytes(t));
}

// AttributeProto: name=1, f=2, i=3, s=4, floats=7, ints=8, type=20 (FLOAT=1, INT=2, STRING=3, FLOATS=6, INTS=7).
function writeAttribute(w: Writer, name: string, a: OnnxAttributeValue): void {
  w.string(1, name);
  switch (a.kind) {
    case 'float': w.float(2, a.value); w.int(20, 1); break;
    case 'int': w.int(3, a.value); w.int(20, 2); break;
    case 'string': w.string(4, a.value); w.int(20, 3); break;
    case 'floats': for (const v of a.value) w.float(7, v); w.int(20, 6); break;
    case 'ints': for (const v of a.value) w.int(8, v); w.int(20, 7); break;
  }
}

// NodeProto: input=1, output=2, name=3, op_type=4, attribute=5.
function writeNode(w: Writer, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [name, a] of Object.entries(n.attributes ?? {})) w.message(5, (m) => writeAttribute(m, name, a));
}

// ValueInfoProto: name=1, type=2; TypeProto.tensor_type=1; Tensor: elem_type=1, shape=2; shape.dim=1;
// Dimension: dim_value=1, dim_param=2.
function writeValueInfo(w: Writer, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      tensor.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

// GraphProto: node=1, name=2, initializer=5, doc_string=10, input=11, output=12.
function writeGraph(w: Writer, g: OnnxGraph): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t));
  if (g.docString) w.string(10, g.docString);
  for (const v of g.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of g.outputs) w.message(12, (m) => writeValueInfo(m, v));
}

/**
 * ModelProto bytes, as pieces whose concatenation is the file (tensor data is referenced, not copied; write
 * them in order, e.g. with writeFileAtomic): ir_version=1, producer_name=2, producer_version=3, doc_string=6, graph=7,
 * opset_import=8 (OperatorSetIdProto: domain=1, version=2), metadata_props=14 (key=1, value=2).
 */
export function encodeOnnxModel(model: OnnxModel): Uint8Array[] {
  const w = new Writer();
  w.int(1, ONNX_IR_VERSION);
  w.string(2, model.producerName);
  w.string(3, model.producerVersion);
  if (model.docString) w.string(6, model.docString);
  w.message(7, (g) => writeGraph(g, model.graph));
  w.message(8, (op) => {
    op.string(1, '');
    op.int(2, model.opsetVersion);
  });
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    w.message(14, (m) => {
      m.string(1, key);
      m.string(2, value);
    });
  }
  return w.finish();
}
