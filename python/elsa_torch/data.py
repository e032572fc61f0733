"""Fashion-MNIST-style IDX files (gzip or raw) read with plain Python: no torchvision needed. Pixels become
float32 in [0, 1] (value / 255, as the TypeScript engine reads them), images shaped [N, 1, H, W]."""
import gzip
import os
import struct

import torch

from .errors import ElsaError

FILES = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}


class DataError(ElsaError):
    kind = 'DataError'


def _read(path):
    with open(path, 'rb') as f:
        head = f.read(2)
    opener = gzip.open if head == b'\x1f\x8b' else open
    try:
        with opener(path, 'rb') as f:
            return f.read()
    except (OSError, EOFError) as e:
        raise DataError(path, f'cannot read: {e}') from None


def read_idx(path):
    """(dims, uint8 tensor) of an IDX file of unsigned bytes."""
    raw = _read(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(path, 'not an IDX file (bad magic number)')
    if raw[2] != 0x08:
        raise DataError(path, f'IDX type 0x{raw[2]:02x} is not unsigned bytes (0x08)')
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise DataError(path, 'truncated IDX header')
    dims = list(struct.unpack(f'>{ndim}I', raw[4:4 + 4 * ndim]))
    count = 1
    for d in dims:
        count *= d
    body = raw[4 + 4 * ndim:]
    if len(body) != count:
        raise DataError(path, f'{len(body)} data bytes but the dimensions {dims} need {count}')
    return dims, torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(dims) if count else torch.empty(dims, dtype=torch.uint8)


def find(folder, name):
    for candidate in (name + '.gz', name, name.replace('-idx', '.idx')):
        p = os.path.join(folder, candidate)
        if os.path.exists(p):
            return p
    raise DataError(folder, f'no {name}[.gz] here (expected Fashion-MNIST IDX files)')


def load_split(folder, split='train', limit=None):
    """(images float32 [N, 1, H, W] in [0, 1], labels int64 [N])."""
    images_name, labels_name = FILES[split]
    _, images = read_idx(find(folder, images_name))
    _, labels = read_idx(find(folder, labels_name))
    if images.dim() != 3 or labels.dim() != 1 or images.shape[0] != labels.shape[0]:
        raise DataError(folder, f'{split}: images {list(images.shape)} and labels {list(labels.shape)} do not match')
    if limit:
        images, labels = images[:limit], labels[:limit]
    return (images.to(torch.float32) / 255).unsqueeze(1), labels.to(torch.int64)


def default_data_dir():
    """The Debian package's Fashion-MNIST when installed, else the subset shipped with ELSA Studio."""
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.environ.get('ELSA_DATA', ''), '/usr/share/datasets/fashion-mnist', os.path.join(here, '..', '..', 'data', 'fashion-mnist-small')):
        if d and os.path.isdir(d):
            return os.path.abspath(d)
    raise DataError(None, 'no Fashion-MNIST found: pass --data DIR (IDX files) or set ELSA_DATA')
