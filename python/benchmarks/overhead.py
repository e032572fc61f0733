"""ELSA's per-step cost in PyTorch: the small CNN of bench/torch_reference.py (conv16-conv32-fc128-fc10, batch 64,
28x28), one thread, plain training step vs the same step followed by elsa.step() in phase 2 (frozen level-1
weights, pruned weights held at zero; no mask update is due, so mask updates are excluded). Paired timing of
each plain step and the elsa.step() after it; medians and minima. Prints one JSON line.

usage: PYTHONPATH=python python3 python/benchmarks/overhead.py [--steps 40] [--repeats 5] [--optimizer sgd|adamw]
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from elsa_torch import Elsa

# the benchmark's own model, not a copy: bench/torch_reference.py is the PyTorch side of `npm run bench`
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'bench'))
from torch_reference import SmallCnn  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=40)
    ap.add_argument('--repeats', type=int, default=7)
    ap.add_argument('--optimizer', choices=['sgd', 'adamw'], default='sgd')
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x = torch.rand(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))
    model = SmallCnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4) if args.optimizer == 'sgd' else torch.optim.AdamW(model.parameters(), lr=1e-3)
    # a phase so long that no mask update falls in the measured steps
    elsa = Elsa(model, levels=[0.9, 0.5], optimizer=opt, steps_per_phase=10**9, prune_every=10**9)
    elsa.next_phase()
    elsa.step()
    elsa.next_phase()  # phase 2: level-1 weights frozen, the rest free
    elsa.step()

    def plain():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(10):
        plain()
        elsa.step()
    # Paired timing: in every iteration the plain step and the elsa.step() that follows it run under the
    # same machine load, so their ratio is robust on a shared machine where absolute times are not.
    plain_s, elsa_s = [], []
    for _ in range(args.repeats * args.steps):
        t0 = time.perf_counter()
        plain()
        t1 = time.perf_counter()
        elsa.step()
        t2 = time.perf_counter()
        plain_s.append(t1 - t0)
        elsa_s.append(t2 - t1)
    ratios = sorted(e / p for e, p in zip(elsa_s, plain_s))
    plain_ms = statistics.median(plain_s) * 1e3
    elsa_ms = statistics.median(elsa_s) * 1e3
    applied_before = elsa.applied
    t = time.perf_counter()
    elsa._apply(elsa.phase_info(), 0.5)
    update_ms = (time.perf_counter() - t) * 1e3
    assert elsa.applied == 0.5 and applied_before != 0.5
    print(json.dumps({
        'torch': torch.__version__, 'threads': torch.get_num_threads(), 'optimizer': args.optimizer, 'batch': 64,
        'steps': len(plain_s), 'plain_step_ms_median': round(plain_ms, 3), 'plain_step_ms_min': round(min(plain_s) * 1e3, 3),
        'elsa_step_ms_median': round(elsa_ms, 4), 'elsa_step_ms_min': round(min(elsa_s) * 1e3, 4),
        'overhead_percent_median_of_pairs': round(100 * ratios[len(ratios) // 2], 2),
        'overhead_percent_of_minima': round(100 * min(elsa_s) / min(plain_s), 2),
        'one_mask_update_ms': round(update_ms, 2),
    }))


if __name__ == '__main__':
    main()
