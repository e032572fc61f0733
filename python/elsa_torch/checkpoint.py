"""`*.elsa.safetensors` (docs/format.md): writing, reading and level extraction, tensor for tensor the
contract of the TypeScript side (src/core/io/elsaCheckpoint.ts, src/core/method/extract.ts).

File order: model weights (model order), `elsa.codes/<weight>` (packed level codes), `elsa.level<k>/<param>`
(small parameters per level, levels ascending), then anything else under `elsa.`."""
import json
import math
import os

import torch

from . import safetensors as st
from .codes import max_code_for, pack_codes, packed_length, packing_bits, packing_for, unpack_codes
from .errors import CheckpointError

ELSA_FORMAT = 'elsa/1'
CODES_PREFIX = 'elsa.codes/'
ELSA_PREFIX = 'elsa.'
SPARSE_FORMAT = 'elsa-sparse/1'


def code_tensor_name(weight):
    return CODES_PREFIX + weight


def level_param_name(level, param):
    return f'elsa.level{level}/{param}'


def as_f32(t):
    t = t.detach().to('cpu')
    return t if t.dtype == torch.float32 else t.to(torch.float32)


def build(weights, codes, level_params, meta, small_params_mode='perLevel', packing='bits'):
    """Tensors (file order) and the completed metadata. `weights`: name -> tensor (model order); `codes`:
    sparsifiable name -> uint8 codes 1..K+1; `level_params`: level -> name -> tensor."""
    K = len(meta['targets'])
    packing = 'u8' if packing == 'u8' else packing_for(K)
    tensors = {}

    def add(name, t):
        if name in tensors:
            raise CheckpointError(None, f'tensor "{name}" given twice')
        tensors[name] = t

    for name, t in weights.items():
        add(name, t)
    code_names = {}
    for weight, c in codes.items():
        if weight not in weights:
            raise CheckpointError(None, f'codes given for "{weight}", which is not among the weights')
        if c.numel() != weights[weight].numel():
            raise CheckpointError(None, f'weight "{weight}" has {weights[weight].numel()} elements but {c.numel()} codes')
        if c.numel() and (int(c.min()) < 1 or int(c.max()) > K + 1):
            raise CheckpointError(None, f'level codes of "{weight}" are outside 1..{K + 1}')
        packed = pack_codes(c, packing)
        name = code_tensor_name(weight)
        add(name, packed.reshape(weights[weight].shape) if packing == 'u8' else packed)
        code_names[weight] = name
    small = None
    if level_params or small_params_mode:
        small = {'mode': small_params_mode, 'perLevel': {}}
        levels = sorted(level_params)
        for k in levels:
            if not 1 <= k <= K + 1:
                raise CheckpointError(None, f'level params given for level {k}, outside 1..{K + 1}')
            for param, t in level_params[k].items():
                add(level_param_name(k, param), t)
        last = max(len(meta['levels']), levels[-1] if levels else 0) if small_params_mode == 'frozen' else (levels[-1] if levels else 0)
        params = []
        for k in levels:
            params.extend(p for p in level_params[k] if p not in params)
        for param in params:
            names = []
            latest = None
            for k in range(1, last + 1):
                own = level_param_name(k, param) if param in level_params.get(k, {}) else None
                if own:
                    latest = own
                if not own and small_params_mode == 'perLevel':
                    raise CheckpointError(None, f'small parameter "{param}" is missing for level {k}')
                if latest is None:
                    latest = level_param_name(next(l for l in levels if param in level_params[l]), param)
                names.append(own or latest)
            small['perLevel'][param] = names
    full = dict(meta)
    full['codes'] = code_names
    full['packing'] = packing
    if small is not None:
        full['smallParams'] = small
    return tensors, full


def write(path, weights, codes, level_params, meta, small_params_mode='perLevel'):
    tensors, full = build(weights, codes, level_params, meta, small_params_mode)
    st.write_file(path, tensors, {'elsa': json.dumps(full, separators=(',', ':'), allow_nan=False)})
    return full


def parse_metadata(header):
    """The `__metadata__["elsa"]` object, checked as the TypeScript reader checks it."""
    label = header.label
    if 'elsa' not in header.metadata:
        raise CheckpointError(label, 'not an ELSA checkpoint (no __metadata__.elsa)')

    def bad(p):
        return CheckpointError(label, f'__metadata__.elsa: {p}')
    try:
        meta = json.loads(header.metadata['elsa'])
    except ValueError as e:
        raise bad(f'not valid JSON ({str(e).splitlines()[0]})') from None
    if not isinstance(meta, dict):
        raise bad('not a JSON object')
    if meta.get('format') != ELSA_FORMAT:
        raise bad(f'unsupported format {json.dumps(meta.get("format"))} (this reader knows "{ELSA_FORMAT}")')
    targets = meta.get('targets')
    if not isinstance(targets, list) or (not targets and meta.get('kind') != 'dense') or not all(isinstance(t, (int, float)) and 0 < t < 1 for t in targets):
        raise bad('targets must be a non-empty array of sparsities in (0, 1)')
    if any(not targets[i] < targets[i - 1] for i in range(1, len(targets))):
        raise bad(f'targets must decrease (sparsest first), got {targets}')
    K = len(targets)
    levels = meta.get('levels')
    if not isinstance(levels, list) or len(levels) > K + 1:
        raise bad(f'levels must be an array of at most {K + 1} entries')
    for i, l in enumerate(levels):
        if not isinstance(l, dict) or l.get('index') != i + 1:
            raise bad(f'levels[{i}].index must be {i + 1}')
    packing = meta.get('packing')
    if not isinstance(packing, str):
        raise bad('packing is missing')
    packing_bits(packing, label)
    if max_code_for(packing) < K + 1:
        raise bad(f'packing {packing} cannot hold codes up to {K + 1}')
    codes = meta.get('codes')
    if not isinstance(codes, dict):
        raise bad('codes must be an object {weight: code tensor}')
    for weight, name in codes.items():
        if weight not in header.tensors:
            raise bad(f'codes name weight "{weight}", which is not in the file')
        c = header.tensors.get(name)
        if c is None or c['dtype'] != 'U8':
            raise bad(f'code tensor "{name}" of weight "{weight}" is missing or not U8')
        count = math.prod(header.tensors[weight]['shape'])
        if math.prod(c['shape']) != packed_length(count, packing):
            raise bad(f'code tensor "{name}" has the wrong size for {count} weights in {packing}')
    small = meta.get('smallParams')
    if small is not None:
        if not isinstance(small, dict) or small.get('mode') not in ('perLevel', 'frozen') or not isinstance(small.get('perLevel'), dict):
            raise bad('smallParams must be {mode: "perLevel"|"frozen", perLevel: {...}}')
        for param, names in small['perLevel'].items():
            if not isinstance(names, list) or len(names) > K + 1 or any(n not in header.tensors for n in names):
                raise bad(f'smallParams.perLevel["{param}"] must be up to {K + 1} names of tensors in the file')
    return meta


class Checkpoint:
    """An ELSA checkpoint opened lazily: header now, tensors on demand."""

    def __init__(self, path):
        self.path = path
        self.header = st.read_header(path)
        self.meta = parse_metadata(self.header)
        names = self.header.names_in_file_order()
        self.weight_names = [n for n in names if not n.startswith(ELSA_PREFIX)]
        self.sparse_names = [n for n in names if n in self.meta['codes']]

    @property
    def label(self):
        return self.header.label

    def read(self, name):
        return st.read_tensor(self.path, self.header, name)

    def codes(self, name):
        if name not in self.meta['codes']:
            raise CheckpointError(self.label, f'weight "{name}" has no level codes')
        count = math.prod(self.header.tensors[name]['shape'])
        c = unpack_codes(self.read(self.meta['codes'][name]), count, self.meta['packing'], self.label)
        top = len(self.meta['targets']) + 1
        if count and int(c.max()) > top:
            raise CheckpointError(self.label, f'a level code of "{name}" exceeds K+1 = {top}')
        return c.reshape(self.header.tensors[name]['shape'])

    def level_params(self, level):
        K = len(self.meta['targets'])
        if not 1 <= level <= K + 1:
            raise CheckpointError(self.label, f'level {level} is outside 1..{K + 1}')
        small = self.meta.get('smallParams') or {}
        out = {}
        for param, per in (small.get('perLevel') or {}).items():
            name = per[level - 1] if level - 1 < len(per) else (per[-1] if small.get('mode') == 'frozen' and per else None)
            if name:
                out[param] = self.read(name)
        return out

    def resolve_level(self, request):
        """Level by index (1..K+1) or by sparsity (a fraction matching a target within 0.005; 0 = dense)."""
        targets = self.meta['targets']
        dense = len(targets) + 1
        if isinstance(request, str):
            try:
                request = float(request)
            except ValueError:
                raise CheckpointError(self.label, f'level must be an index 1..{dense} or a sparsity in [0, 1), got "{request}"') from None
        if float(request).is_integer() and request >= 1:
            level = int(request)
            if level > dense:
                raise CheckpointError(self.label, f'level {level} does not exist (levels 1..{dense}, {dense} = dense)')
        elif 0 <= request < 1:
            options = list(targets) + [0]
            best = min(range(len(options)), key=lambda i: (abs(options[i] - request), i))
            if abs(options[best] - request) > 0.005:
                raise CheckpointError(self.label, f'no level with sparsity {request} (targets: {", ".join(map(str, targets))}, dense: 0)')
            level = best + 1
        else:
            raise CheckpointError(self.label, f'level must be an index 1..{dense} or a sparsity in [0, 1), got {request}')
        if not any(l['index'] == level for l in self.meta['levels']):
            raise CheckpointError(self.label, f'level {level} has not finished training in this checkpoint')
        return level


def extract_level(path, request):
    """(level, meta, weights): W * [code <= k] for sparsifiable weights (dropped ones +0), the level's own
    small parameters, everything else as stored; the same tensors `elsa extract` writes."""
    ck = Checkpoint(path)
    level = ck.resolve_level(request)
    small = ck.level_params(level)
    weights = {}
    for name in ck.weight_names:
        stored = ck.read(name)
        if name in ck.meta['codes']:
            w = as_f32(stored)
            weights[name] = torch.where(ck.codes(name) <= level, w, torch.zeros((), dtype=torch.float32))
        else:
            weights[name] = small.get(name, stored)
    return level, ck.meta, weights


def level_info(meta, level):
    return next((l for l in meta['levels'] if l['index'] == level), None)


def write_level_safetensors(out, source_path, level, meta, weights):
    info = level_info(meta, level) or {}
    st.write_file(out, weights, {'elsa-level': json.dumps({
        'checkpoint': os.path.basename(source_path), 'level': level, 'targetSparsity': info.get('targetSparsity'),
        'sparsity': info.get('sparsity'), 'metrics': info.get('metrics'),
    }, separators=(',', ':'))})


def write_level_sparse(out, source_path, level, meta, weights):
    """The compressed sparse form (src/core/io/sparseFormat.ts): per float32 tensor a bitmap of stored
    (bit pattern != +0) elements plus their values, or the tensor as is when that is not smaller."""
    tensors, infos = {}, {}
    for name, t in weights.items():
        count = t.numel()
        if t.dtype == torch.float32:
            flat = t.reshape(-1).contiguous()
            stored = flat.view(torch.int32) != 0
            nnz = int(stored.sum())
            if (count + 7) // 8 + 4 * nnz < 4 * count:
                bits = torch.cat([stored, torch.zeros((-count) % 8, dtype=torch.bool)]).reshape(-1, 8).to(torch.uint8)
                mask = (bits << torch.arange(8, dtype=torch.uint8)).sum(1, dtype=torch.int32).to(torch.uint8)
                tensors[f'sparse.mask/{name}'] = mask
                tensors[f'sparse.values/{name}'] = flat[stored]
                infos[name] = {'shape': list(t.shape), 'encoding': 'bitmap', 'nnz': nnz, 'mask': f'sparse.mask/{name}', 'values': f'sparse.values/{name}'}
                continue
        tensors[name] = t
        infos[name] = {'shape': list(t.shape), 'encoding': 'dense', 'nnz': int((t != 0).sum()), 'dense': name}
    info = level_info(meta, level) or {}
    sparse = {'format': SPARSE_FORMAT, 'tensors': infos,
              'source': {'checkpoint': os.path.basename(source_path), 'level': level, 'sparsity': info.get('sparsity'), 'targets': meta['targets']}}
    if meta.get('topology') is not None:
        sparse['topology'] = meta['topology']
    st.write_file(out, tensors, {'elsa-sparse': json.dumps(sparse, separators=(',', ':'))})
