"""One training run of the small CNN under torchrun (or alone): each rank takes its share of every global
batch, DistributedDataParallel averages the gradients, Elsa picks masks on rank 0. Writes the run to
OUT (rank 0) and OUT/rank<r>.pt (codes and weights of every rank) for test_distributed.py."""
import os
import sys

import torch
import torch.distributed as dist
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.dirname(__file__))
from elsa_torch import Elsa, Schedule  # noqa: E402
from models import SmallCnn, quadrants  # noqa: E402

STEPS, BATCH = 6, 32


def main(out):
    torch.set_num_threads(1)
    if 'WORLD_SIZE' in os.environ:
        dist.init_process_group('gloo')
    world = dist.get_world_size() if dist.is_initialized() else 1
    rank = dist.get_rank() if dist.is_initialized() else 0
    torch.manual_seed(0)
    model = SmallCnn()
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    x, y = quadrants(STEPS * BATCH, 1)
    elsa = Elsa(net, levels=[0.9, 0.7], optimizer=opt, schedule=Schedule(STEPS, warmup=1, per_phase=2, dense=1), prune_every=2,
                out_dir=out, name='ddp')
    share = BATCH // world
    for phase in elsa.phases():
        for _ in range(phase.epochs):
            for b in range(STEPS):
                lo = b * BATCH + rank * share
                loss = F.cross_entropy(net(x[lo:lo + share]), y[lo:lo + share])
                opt.zero_grad()
                loss.backward()
                opt.step()
                elsa.step()
            elsa.log_epoch(float(loss), 0.0, samples=BATCH)
    torch.save({'codes': elsa.codes(), 'weights': model.state_dict(), 'world': world}, os.path.join(out, f'rank{rank}.pt'))
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


if __name__ == '__main__':
    main(sys.argv[1])
