"""elsa_torch: ELSA nested sparse networks (arXiv 2312.06872) for any torch.nn.Module and training loop,
single process or under torchrun, writing the checkpoint format ELSA Studio inspects (docs/format.md)."""
__version__ = '0.1.0'

import sys  # noqa: E402

try:
    import torch  # noqa: F401
except ImportError:
    if sys.argv[:1] == ['-m']:  # python -m elsa_torch: one line, not a traceback
        print(f'ElsaError: PyTorch is not installed for {sys.executable} (apt-get install python3-torch, or pip install torch)', file=sys.stderr)
        sys.exit(2)
    raise ImportError(f'elsa_torch needs PyTorch, which is not installed for {sys.executable}') from None

from .checkpoint import Checkpoint, extract_level  # noqa: E402
from .core import Elsa, ElsaOptimizer, Phase, Schedule, unwrap  # noqa: E402
from .errors import CheckpointError, ConfigError, ElsaError, UsageError  # noqa: E402
from .sparsifiers import Sparsifier  # noqa: E402


def load_level(model, path, level):
    """Load level `level` (index or sparsity) of an elsa_torch checkpoint into `model`; returns the level index."""
    lvl, _, weights = extract_level(path, level)
    target = unwrap(model)
    state = target.state_dict()
    missing = [n for n, t in state.items() if torch_is_float(t) and n not in weights]
    if missing:
        raise CheckpointError(path, f'the checkpoint lacks {len(missing)} tensors of the model, e.g. "{missing[0]}"')
    for n, t in state.items():
        if n in weights:
            if tuple(weights[n].shape) != tuple(t.shape):
                raise CheckpointError(path, f'tensor "{n}" is {list(weights[n].shape)} in the checkpoint but {list(t.shape)} in the model')
            t.copy_(weights[n].to(t.dtype))
    return lvl


def torch_is_float(t):
    import torch
    return torch.is_floating_point(t)


__all__ = ['Elsa', 'ElsaOptimizer', 'Phase', 'Schedule', 'Sparsifier', 'Checkpoint', 'extract_level', 'load_level',
           'CheckpointError', 'ConfigError', 'ElsaError', 'UsageError', '__version__']
