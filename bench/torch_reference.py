"""PyTorch CPU reference for bench/run.mjs: the same models, batch, optimizer and data as our engine.

usage: python3 bench/torch_reference.py --data DIR [--model cnn|mlp|resnet] [--repeats 5] [--steps 60] [--epoch]
Prints one JSON line: torch version, the BLAS library actually loaded, threads, samples/s per repeat,
and (with --epoch) the seconds for one pass over the 60k training images.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def loaded_blas():
    """The BLAS shared library this process really mapped (Debian switches it with alternatives)."""
    libs = set()
    with open('/proc/self/maps') as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ''
            name = os.path.basename(path)
            if 'blas' in name or 'mkl' in name:
                libs.add(os.path.realpath(path))
    # torch links libblas.so.3; whichever file provides that soname is the one its sgemm calls reach
    blas3 = [p for p in libs if os.path.basename(p).startswith('libblas.so')]
    if any('openblas' in p for p in blas3):
        return 'OpenBLAS', sorted(libs)
    if blas3:
        return 'reference BLAS (netlib libblas3)', sorted(libs)
    if any('libmkl' in p for p in libs):
        return 'MKL', sorted(libs)
    if any('openblas' in p for p in libs):
        return 'OpenBLAS', sorted(libs)
    return 'none found', []


def openblas_core(libs):
    """The kernel set OpenBLAS chose (it follows OPENBLAS_CORETYPE when that names a set this CPU has)."""
    import ctypes
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
        except (OSError, AttributeError):
            continue
    return None


def load(data_dir, prefix):
    with gzip.open(f'{data_dir}/{prefix}-images-idx3-ubyte.gz', 'rb') as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 255.0
    with gzip.open(f'{data_dir}/{prefix}-labels-idx1-ubyte.gz', 'rb') as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 32, 3, padding=1)
        self.f1 = nn.Linear(32 * 7 * 7, 128)
        self.f2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.f2(F.relu(self.f1(x.flatten(1))))


class ConvBn(nn.Module):
    """conv (no bias) + batch norm, as convBn in src/core/models/builders.ts (BN momentum 0.9 in Keras terms)."""

    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.1)

    def forward(self, x):
        return self.bn(self.conv(x))


class Block(nn.Module):
    """Two 3x3 conv+BN with a ReLU between; a 1x1 conv+BN projection when the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = ConvBn(cin, cout, 3, stride)
        self.b = ConvBn(cout, cout, 3, 1)
        self.proj = ConvBn(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.b(F.relu(self.a(x)))
        return F.relu(y + (self.proj(x) if self.proj is not None else x))


class ResNet(nn.Module):
    """The residual CNN of builders.ts: stem conv 16 → block 16/s2 → block 32/s2 → block 32 → GAP → dense.
    TF's 'same' padding at stride 2 pads bottom/right only; PyTorch pads both sides: shapes and FLOPs match."""

    def __init__(self):
        super().__init__()
        self.stem = ConvBn(1, 16, 3, 1)
        self.b1 = Block(16, 16, 2)
        self.b2 = Block(16, 32, 2)
        self.b3 = Block(32, 32, 1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.b3(self.b2(self.b1(F.relu(self.stem(x)))))
        return self.fc(x.mean((2, 3)))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.f1 = nn.Linear(784, 300)
        self.f2 = nn.Linear(300, 100)
        self.f3 = nn.Linear(100, 10)

    def forward(self, x):
        return self.f3(F.relu(self.f2(F.relu(self.f1(x.flatten(1))))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--model', choices=['cnn', 'mlp', 'resnet'], default='cnn')
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--steps', type=int, default=60)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--epoch', action='store_true')
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    xs, ys = load(args.data, 'train')
    net = {'cnn': SmallCnn, 'mlp': Mlp, 'resnet': ResNet}[args.model]()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    b = args.batch
    batches = len(xs) // b

    def step(i):
        j = i % batches
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(xs[j * b:(j + 1) * b]), ys[j * b:(j + 1) * b])
        loss.backward()
        opt.step()
        return loss

    for i in range(20):
        step(i)
    rates = []
    for r in range(args.repeats):
        t = time.perf_counter()
        for i in range(args.steps):
            step(20 + r * args.steps + i)
        rates.append(args.steps * b / (time.perf_counter() - t))
    blas, blas_libs = loaded_blas()
    out = {
        'torch': torch.__version__, 'blas': blas, 'blasLibs': blas_libs, 'blasCore': openblas_core(blas_libs),
        'threads': torch.get_num_threads(), 'model': args.model, 'batch': b, 'samplesPerSecond': rates,
    }
    if args.epoch:
        t = time.perf_counter()
        total = torch.zeros(())
        for i in range(batches):
            total += step(i).detach()
        out['epochSeconds'] = time.perf_counter() - t
        out['epochSamples'] = batches * b
        out['epochMeanLoss'] = float(total.item()) / batches
    print(json.dumps(out))


if __name__ == '__main__':
    main()
