"""Checkpoints written by the TypeScript engine hold a TF.js Layers topology: this builds the same network
as a torch module (inference only), so `elsa_torch` predicts with a level of a TypeScript-trained run.
Weights keep the TF.js names and layouts (`conv1/kernel` HWIO, Dense kernels [in, out]); inputs are NCHW."""
import math

import torch
import torch.nn.functional as F

from .checkpoint import extract_level
from .errors import CheckpointError

ACTIVATIONS = {
    'linear': lambda x: x, None: lambda x: x, 'relu': F.relu, 'sigmoid': torch.sigmoid, 'tanh': torch.tanh,
    'softmax': lambda x: F.softmax(x, dim=-1), 'elu': F.elu, 'selu': F.selu, 'softplus': F.softplus,
    'relu6': lambda x: F.hardtanh(x, 0, 6),
}


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _same_pad(x, kernel, strides, dilation=(1, 1)):
    """TF 'same' padding (the extra row/column goes after), on an NCHW tensor."""
    return _same_pad_value(x, [(k - 1) * d + 1 for k, d in zip(kernel, dilation)], strides, 0.0)


class TfjsModel(torch.nn.Module):
    """A TF.js Layers functional model (or Sequential) evaluated with torch ops."""

    def __init__(self, topology, weights, label=None):
        super().__init__()
        self.label = label
        root = topology.get('model_config', topology) if isinstance(topology, dict) else None
        if not isinstance(root, dict) or root.get('class_name') not in ('Model', 'Functional', 'Sequential'):
            raise CheckpointError(label, 'the topology is not a TF.js Layers model')
        cfg = root['config']
        self.weights = {k: v.to(torch.float32) for k, v in weights.items()}
        if root['class_name'] == 'Sequential':
            layers = cfg['layers'] if isinstance(cfg, dict) else cfg
            self.layers = []
            prev = None
            for l in layers:
                self.layers.append((l['class_name'], l['config'].get('name'), l['config'], [prev] if prev else []))
                prev = l['config'].get('name')
            self.output_name = prev
        else:
            self.layers = [(l['class_name'], l['name'], l['config'], [n[0] for n in (l['inbound_nodes'][0] if l['inbound_nodes'] else [])]) for l in cfg['layers']]
            self.output_name = cfg['output_layers'][0][0]
        for cls, name, _, _ in self.layers:
            if cls not in self.SUPPORTED:
                raise CheckpointError(label, f'layer "{name}" is a {cls}, which elsa_torch cannot run (supported: {", ".join(sorted(self.SUPPORTED))})')

    SUPPORTED = {'InputLayer', 'Conv2D', 'Dense', 'MaxPooling2D', 'AveragePooling2D', 'Flatten', 'BatchNormalization', 'ReLU',
                 'Activation', 'Add', 'GlobalAveragePooling2D', 'Dropout'}

    def w(self, layer, short):
        key = f'{layer}/{short}'
        if key not in self.weights:
            raise CheckpointError(self.label, f'missing weight tensor {key}')
        return self.weights[key]

    def forward(self, x):
        values = {}
        for cls, name, cfg, inbound in self.layers:
            ins = [values[n] for n in inbound]
            h = ins[0] if ins else None
            if cls == 'InputLayer':
                out = x
            elif cls == 'Conv2D':
                k = self.w(name, 'kernel').permute(3, 2, 0, 1)  # HWIO -> OIHW
                strides, dil = _pair(cfg.get('strides', 1)), _pair(cfg.get('dilation_rate', 1))
                if cfg.get('padding', 'valid') == 'same':
                    h = _same_pad(h, k.shape[2:], strides, dil)
                out = F.conv2d(h, k, self.w(name, 'bias') if cfg.get('use_bias', True) else None, stride=strides, dilation=dil)
                out = ACTIVATIONS[cfg.get('activation')](out)
            elif cls == 'Dense':
                out = h @ self.w(name, 'kernel')
                if cfg.get('use_bias', True):
                    out = out + self.w(name, 'bias')
                out = ACTIVATIONS[cfg.get('activation')](out)
            elif cls in ('MaxPooling2D', 'AveragePooling2D'):
                pool = _pair(cfg.get('pool_size', 2))
                strides = _pair(cfg.get('strides') or pool)
                if cfg.get('padding', 'valid') == 'same':
                    if cls == 'MaxPooling2D':
                        h = _same_pad_value(h, pool, strides, -math.inf)
                    else:
                        raise CheckpointError(self.label, f'layer "{name}": average pooling with padding "same" is not supported')
                out = (F.max_pool2d if cls == 'MaxPooling2D' else F.avg_pool2d)(h, pool, strides)
            elif cls == 'Flatten':
                out = (h.permute(0, 2, 3, 1) if h.dim() == 4 else h).reshape(h.shape[0], -1)  # NHWC order, as TF.js flattens
            elif cls == 'BatchNormalization':
                out = F.batch_norm(h, self.w(name, 'moving_mean'), self.w(name, 'moving_variance'),
                                   self.w(name, 'gamma') if cfg.get('scale', True) else None,
                                   self.w(name, 'beta') if cfg.get('center', True) else None, training=False, eps=cfg.get('epsilon', 1e-3))
            elif cls == 'ReLU':
                out = F.relu(h) if cfg.get('max_value') is None else torch.clamp(h, 0, cfg['max_value'])
            elif cls == 'Activation':
                out = ACTIVATIONS[cfg.get('activation')](h)
            elif cls == 'Add':
                out = ins[0]
                for other in ins[1:]:
                    out = out + other
            elif cls == 'GlobalAveragePooling2D':
                out = h.mean(dim=(2, 3))
            else:  # Dropout: identity at inference
                out = h
            values[name] = out
        return values[self.output_name]


def _same_pad_value(x, kernel, strides, value):
    """Pads an NCHW tensor as TF's 'same' does for an effective kernel size `kernel`."""
    pads = []
    for dim, k, s in zip(x.shape[2:], kernel, strides):
        total = max((math.ceil(dim / s) - 1) * s + k - dim, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    return F.pad(x, (left, right, top, bottom), value=value)


def is_tfjs_topology(topology):
    return isinstance(topology, dict) and topology.get('class_name') in ('Model', 'Functional', 'Sequential') or (
        isinstance(topology, dict) and 'model_config' in topology)


def load_tfjs_level(path, level):
    """(level, model) for a checkpoint the TypeScript engine wrote: the level's weights in a TfjsModel."""
    lvl, meta, weights = extract_level(path, level)
    topology = meta.get('topology')
    if not is_tfjs_topology(topology):
        fmt = topology.get('format') if isinstance(topology, dict) else None
        raise CheckpointError(path, f'the checkpoint holds no TF.js Layers topology ({fmt or "none"}): build your own module and use elsa_torch.load_level')
    model = TfjsModel(topology, weights, path)
    model.eval()
    return lvl, model
