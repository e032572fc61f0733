"""Entries for test_launch.py: `train` (a short run through the Run the launcher passes), `slow` (the same with
many epochs, to be stopped), and the script form (run as __main__, the Run from current_run())."""
import os
import signal
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from models import SmallCnn, quadrants  # noqa: E402

STEPS, BATCH = 4, 16


def train(run, epochs_scale=1):
    torch.manual_seed(run.seed)
    model = SmallCnn()
    net = torch.nn.parallel.DistributedDataParallel(model) if run.world_size > 1 else model
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    x, y = quadrants(STEPS * BATCH, 1)
    elsa = run.elsa(net, opt, STEPS, evaluate=lambda: {'accuracy': 0.5, 'loss': 1.0})
    share = BATCH // run.world_size
    for phase in elsa.phases():
        for _ in range(phase.epochs * epochs_scale):
            for b in range(STEPS):
                lo = b * BATCH + run.rank * share
                loss = F.cross_entropy(net(x[lo:lo + share]), y[lo:lo + share])
                opt.zero_grad()
                loss.backward()
                opt.step()
                elsa.step()
            elsa.log_epoch(float(loss), 0.0, samples=BATCH * STEPS)


def slow(run):
    train(run, epochs_scale=100000)


class _StoppedWhileReported(RuntimeError):
    """A failure whose report is interrupted by a stop signal: what a rank of a stopped torchrun sees when a peer
    that stopped first broke its collective, and its own SIGTERM arrives while the failure is being reported.
    The first str() (the printed traceback) answers; the second (the run-end message) is where the signal lands."""

    calls = 0

    def __str__(self):
        _StoppedWhileReported.calls += 1
        if _StoppedWhileReported.calls == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return 'Connection closed by peer'


def fails_then_stopped(run):
    raise _StoppedWhileReported()


def swallows_the_stop(run):
    """User code that catches everything, the stop included, and returns as if nothing happened."""
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    except BaseException:
        pass


if __name__ == '__main__':
    from elsa_torch.launch import current_run
    train(current_run())
