"""Throughput of ELSA training on 1 vs N processes (torchrun, CPU, gloo): the small CNN of overhead.py, a global
batch of 64 split across ranks, DistributedDataParallel, elsa.step() after every optimizer step (phase 2, no
mask update due). Rank 0 prints one JSON line.

usage: PYTHONPATH=python python3 -m elsa_torch.torchrun --standalone --nproc_per_node N python/benchmarks/scaling.py [--steps 60]
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

from elsa_torch import Elsa
from overhead import SmallCnn


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=60)
    ap.add_argument('--repeats', type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    if 'WORLD_SIZE' in os.environ:
        dist.init_process_group('gloo')
    world = dist.get_world_size() if dist.is_initialized() else 1
    rank = dist.get_rank() if dist.is_initialized() else 0
    torch.manual_seed(0)
    model = SmallCnn()
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    elsa = Elsa(net, levels=[0.9, 0.5], optimizer=opt, steps_per_phase=10**9, prune_every=10**9)
    elsa.next_phase()
    elsa.step()
    elsa.next_phase()
    share = 64 // world
    x = torch.rand(share, 1, 28, 28)
    y = torch.randint(0, 10, (share,))

    def step():
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        elsa.step()

    for _ in range(5):
        step()
    rates = []
    for _ in range(args.repeats):
        if world > 1:
            dist.barrier()
        t = time.perf_counter()
        for _ in range(args.steps):
            step()
        if world > 1:
            dist.barrier()
        rates.append(64 * args.steps / (time.perf_counter() - t))
    if rank == 0:
        print(json.dumps({'processes': world, 'global_batch': 64, 'samples_per_s': round(statistics.median(rates), 1),
                          'repeats': [round(r, 1) for r in rates], 'cpus': os.cpu_count(), 'torch': torch.__version__}))
    if dist.is_initialized():
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
