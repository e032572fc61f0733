"""A small safetensors reader and writer (the format: 8-byte little-endian header length, a JSON header, the
tensor bytes). Written here so elsa_torch depends on torch only; it produces the same layout as the
TypeScript writer (src/core/io/safetensors.ts): tensors in insertion order, header padded with spaces so
the data section starts 8-byte aligned, writes atomic (a temporary file renamed over the target)."""
import json
import os
import struct
import sys
import tempfile

import torch

from .errors import CheckpointError

MAX_HEADER_BYTES = 100 * 1024 * 1024

TORCH_DTYPES = {
    'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'F64': torch.float64,
    'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool,
}
DTYPE_NAMES = {v: k for k, v in TORCH_DTYPES.items()}
DTYPE_SIZE = {'F32': 4, 'F16': 2, 'BF16': 2, 'F64': 8, 'I64': 8, 'I32': 4, 'I16': 2, 'I8': 1, 'U8': 1, 'BOOL': 1, 'U16': 2, 'U32': 4}

if sys.byteorder != 'little':  # pragma: no cover - every platform torch ships for is little-endian
    raise ImportError('elsa_torch reads and writes little-endian safetensors on little-endian hosts only')


def _count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def tensor_bytes(t):
    """The raw little-endian bytes of a CPU tensor (contiguous copy when needed)."""
    t = t.detach().to('cpu').contiguous()
    if t.dtype not in DTYPE_NAMES:
        raise CheckpointError(None, f'dtype {t.dtype} cannot be stored in safetensors by elsa_torch')
    if t.numel() == 0:
        return b''
    raw = t.reshape(-1).view(torch.uint8)
    try:
        return raw.numpy().tobytes()
    except (RuntimeError, TypeError):  # torch built without numpy: slower, same bytes
        return bytes(raw.tolist())


def encode(tensors, metadata=None):
    """Header bytes and the list of data chunks: `tensors` maps name -> torch tensor (in file order)."""
    header = {}
    if metadata:
        for k, v in metadata.items():
            if not isinstance(v, str):
                raise CheckpointError(None, f'metadata "{k}" must be a string')
        header['__metadata__'] = dict(metadata)
    chunks = []
    offset = 0
    for name, t in tensors.items():
        if name == '__metadata__':
            raise CheckpointError(None, 'a tensor cannot be named "__metadata__"')
        data = tensor_bytes(t)
        header[name] = {'dtype': DTYPE_NAMES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    text += b' ' * ((-len(text)) % 8)
    return struct.pack('<Q', len(text)) + text, chunks


def write_atomic(path, parts):
    """Write `parts` (bytes objects) to `path` through a temporary file in the same folder, then rename."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', suffix='.tmp', dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the file is an ordinary output
        with os.fdopen(fd, 'wb') as f:
            for p in parts:
                f.write(p)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_file(path, tensors, metadata=None):
    head, chunks = encode(tensors, metadata)
    write_atomic(path, [head, *chunks])


class Header:
    def __init__(self, label, file_size, data_offset, tensors, metadata):
        self.label = label
        self.file_size = file_size
        self.data_offset = data_offset
        self.tensors = tensors  # name -> {'dtype', 'shape', 'offsets'}
        self.metadata = metadata

    def names_in_file_order(self):
        return sorted(self.tensors, key=lambda n: self.tensors[n]['offsets'][0])


def read_header(path):
    label = os.path.basename(path)
    try:
        size = os.path.getsize(path)
        with open(path, 'rb') as f:
            prefix = f.read(8)
            if size < 8:
                raise CheckpointError(label, f'file is {size} bytes, shorter than the 8-byte safetensors header length')
            n = struct.unpack('<Q', prefix)[0]
            if n > size - 8:
                raise CheckpointError(label, f'header length {n} exceeds file size {size}')
            if n > MAX_HEADER_BYTES:
                raise CheckpointError(label, f'header length {n} exceeds the {MAX_HEADER_BYTES}-byte limit')
            raw = f.read(n)
    except OSError as e:
        raise CheckpointError(label, f'cannot read: {e.strerror or e}') from None
    try:
        parsed = json.loads(raw.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as e:
        raise CheckpointError(label, f'header is not valid JSON ({str(e).splitlines()[0]})') from None
    if not isinstance(parsed, dict):
        raise CheckpointError(label, 'header is not a JSON object')
    data_offset = 8 + n
    data_size = size - data_offset
    tensors = {}
    metadata = {}
    for name, e in parsed.items():
        if name == '__metadata__':
            if e is None:
                continue
            if not isinstance(e, dict) or not all(isinstance(v, str) for v in e.values()):
                raise CheckpointError(label, '__metadata__ must be an object of strings')
            metadata = e
            continue
        bad = lambda p: CheckpointError(label, f'tensor "{name}": {p}')  # noqa: E731
        if not isinstance(e, dict) or e.get('dtype') not in DTYPE_SIZE:
            raise bad(f'unknown dtype {json.dumps(e.get("dtype") if isinstance(e, dict) else None)}')
        shape = e.get('shape')
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise bad(f'invalid shape {json.dumps(shape)}')
        off = e.get('data_offsets')
        if not (isinstance(off, list) and len(off) == 2 and all(isinstance(x, int) and x >= 0 for x in off) and off[0] <= off[1] <= data_size):
            raise bad(f'data_offsets {json.dumps(off)} are outside the {data_size}-byte data section')
        if off[1] - off[0] != _count(shape) * DTYPE_SIZE[e['dtype']]:
            raise bad(f'shape {shape} of {e["dtype"]} does not match data_offsets {off}')
        tensors[name] = {'dtype': e['dtype'], 'shape': shape, 'offsets': off}
    end = 0
    for name in sorted(tensors, key=lambda k: tensors[k]['offsets']):
        b, e = tensors[name]['offsets']
        if b < end:
            raise CheckpointError(label, f'tensor "{name}" overlaps another tensor')
        end = max(end, e)
    if end != data_size:
        raise CheckpointError(label, f'data section is {data_size} bytes but the tensors end at {end}')
    return Header(label, size, data_offset, tensors, metadata)


def read_tensor(path, header, name):
    """One tensor as a torch tensor (U16/U32 widen to int32/int64)."""
    if name not in header.tensors:
        raise CheckpointError(header.label, f'no tensor named "{name}"')
    e = header.tensors[name]
    b, end = e['offsets']
    with open(path, 'rb') as f:
        f.seek(header.data_offset + b)
        data = f.read(end - b)
    if len(data) != end - b:
        raise CheckpointError(header.label, f'tensor "{name}" is truncated')
    dtype = e['dtype']
    if dtype in ('U16', 'U32'):
        wide = torch.frombuffer(bytearray(data), dtype=torch.int16 if dtype == 'U16' else torch.int32) if data else torch.empty(0)
        wide = wide.to(torch.int32 if dtype == 'U16' else torch.int64)
        wide = wide & (0xFFFF if dtype == 'U16' else 0xFFFFFFFF)
        return wide.reshape(e['shape'])
    if not data:
        return torch.empty(e['shape'], dtype=TORCH_DTYPES[dtype])
    return torch.frombuffer(bytearray(data), dtype=TORCH_DTYPES[dtype]).reshape(e['shape'])


def read_file(path):
    header = read_header(path)
    return header, {n: read_tensor(path, header, n) for n in header.names_in_file_order()}
