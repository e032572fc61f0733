"""Level codes on disk (docs/format.md, "Code packing"): `u8` stores each code (1..K+1) as one byte; `bits<N>`
stores code - 1 in N = max(1, ceil(log2(K+1))) bits as a little-endian bit stream (weight i in bits
[i*N, (i+1)*N) from the least significant bit of byte 0; unused high bits of the last byte are zero)."""
import math
import re

import torch

from .errors import CheckpointError


def packing_bits(packing, label=None):
    if packing == 'u8':
        return 8
    m = re.fullmatch(r'bits([1-8])', packing or '')
    if not m:
        raise CheckpointError(label, f'unknown code packing "{packing}" (expected "u8" or "bits1".."bits8")')
    return int(m.group(1))


def max_code_for(packing, label=None):
    bits = packing_bits(packing, label)
    return 255 if packing == 'u8' else 2 ** bits


def packing_for(sparse_level_count):
    """Tightest packing for K = sparse_level_count sparse levels (codes 1..K+1), as src/core/io/codePacking.ts."""
    if not isinstance(sparse_level_count, int) or not 0 <= sparse_level_count <= 254:
        raise CheckpointError(None, f'sparse level count {sparse_level_count} is not an integer in 0..254')
    bits = max(1, math.ceil(math.log2(sparse_level_count + 1)))
    return 'u8' if bits >= 8 else f'bits{bits}'


def packed_length(count, packing):
    bits = packing_bits(packing)
    return count if packing == 'u8' else (count * bits + 7) // 8


def pack_codes(codes, packing, label=None):
    """Flat uint8 tensor of codes -> packed uint8 tensor."""
    codes = codes.reshape(-1).to(torch.uint8)
    top = max_code_for(packing, label)
    if codes.numel() and (int(codes.min()) < 1 or int(codes.max()) > top):
        raise CheckpointError(label, f'level codes must lie in 1..{top} for packing {packing}')
    if packing == 'u8':
        return codes.clone()
    bits = packing_bits(packing)
    n = codes.numel()
    v = codes - 1
    # bit j of code i goes to stream position i*bits + j (one byte per bit: bounded, vectorised)
    bit_values = ((v.unsqueeze(1) >> torch.arange(bits, dtype=torch.uint8)) & 1).reshape(-1)
    pad = (-bit_values.numel()) % 8
    if pad:
        bit_values = torch.cat([bit_values, torch.zeros(pad, dtype=torch.uint8)])
    out = (bit_values.reshape(-1, 8) << torch.arange(8, dtype=torch.uint8)).sum(1, dtype=torch.int32).to(torch.uint8)
    assert out.numel() == packed_length(n, packing)
    return out


def unpack_codes(packed, count, packing, label=None):
    packed = packed.reshape(-1).to(torch.uint8)
    want = packed_length(count, packing)
    if packed.numel() != want:
        raise CheckpointError(label, f'packed codes are {packed.numel()} bytes but {count} codes in {packing} need {want}')
    if packing == 'u8':
        if count and int(packed.min()) == 0:
            raise CheckpointError(label, 'level code 0 found (codes start at 1)')
        return packed.clone()
    bits = packing_bits(packing, label)
    stream = ((packed.unsqueeze(1) >> torch.arange(8, dtype=torch.uint8)) & 1).reshape(-1)
    if int(stream[count * bits:].sum()) != 0:
        raise CheckpointError(label, 'packed codes have non-zero padding bits')
    v = (stream[:count * bits].reshape(count, bits) << torch.arange(bits, dtype=torch.uint8)).sum(1, dtype=torch.int32)
    return (v + 1).to(torch.uint8)
