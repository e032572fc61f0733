"""What a PyTorch-written checkpoint stores as `topology` (docs/format.md, "topology"): a description of the
torch module, not a TF.js Layers model. Readers tell the two apart by `format`."""
import torch

TORCH_TOPOLOGY_FORMAT = 'torch-module/1'
MAX_REPR_CHARS = 20000


def describe_module(module, sparsifiable_names):
    sparse = set(sparsifiable_names)
    text = repr(module)
    return {
        'format': TORCH_TOPOLOGY_FORMAT,
        'class_name': type(module).__name__,
        'module': type(module).__module__,
        'modules': [{'name': n, 'type': type(m).__name__} for n, m in module.named_modules() if n and not list(m.children())],
        'tensors': [{'name': n, 'shape': list(t.shape), 'kind': 'parameter' if isinstance(t, torch.nn.Parameter) else 'buffer',
                     'sparsifiable': n in sparse}
                    for n, t in module.state_dict(keep_vars=True).items() if torch.is_floating_point(t)],
        'repr': text if len(text) <= MAX_REPR_CHARS else text[:MAX_REPR_CHARS - 1] + '…',
    }
