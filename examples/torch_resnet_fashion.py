"""ELSA on the PyTorch engine: a torchvision-style ResNet (BasicBlock, written out here: no torchvision) on
Fashion-MNIST, read from the IDX files with plain Python. Runs alone or under torchrun with
DistributedDataParallel; rank 0 writes runs/<name>/events.jsonl and the checkpoint the editor opens.

From the editor: run the `elsa: train torch-resnet.elsa.json` task. From a shell (repo root):
    PYTHONPATH=python python3 -m elsa_torch.torchrun --standalone --nproc_per_node 2 \\
        -m elsa_torch launch examples/torch-resnet.elsa.json
"""
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock: two 3x3 conv+BN, a 1x1 conv+BN projection when the shape changes."""

    expansion = 1

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = conv3x3(cin, cout, stride)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = conv3x3(cout, cout)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    """torchvision's ResNet layout (stem, layer1..3, average pool, fc), sized for 28x28 grey images."""

    def __init__(self, layers=(1, 1, 1), widths=(16, 32, 64), num_classes=10):
        super().__init__()
        self.conv1 = conv3x3(1, widths[0])
        self.bn1 = nn.BatchNorm2d(widths[0])
        cin = widths[0]
        stages = []
        for i, (n, w) in enumerate(zip(layers, widths)):
            blocks = []
            for b in range(n):
                blocks.append(BasicBlock(cin, w, stride=2 if (b == 0 and i > 0) else 1))
                cin = w
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def evaluate(net, x, y, rank, world, batch=500):
    """Test loss and accuracy, each rank on its share, summed over ranks: every rank gets the same numbers.
    `net` is the plain module, not the DDP wrapper: DDP's forward is a collective (it broadcasts buffers),
    and the ranks' shares may differ in batch count."""
    net.eval()
    sums = torch.zeros(3, dtype=torch.float64)
    with torch.no_grad():
        for i in range(rank * batch, x.shape[0], world * batch):
            logits = net(x[i:i + batch])
            sums += torch.tensor([F.cross_entropy(logits, y[i:i + batch], reduction='sum').item(),
                                  (logits.argmax(1) == y[i:i + batch]).sum().item(), logits.shape[0]], dtype=torch.float64)
    if world > 1:
        dist.all_reduce(sums)
    net.train()
    return {'loss': sums[0].item() / sums[2].item(), 'accuracy': sums[1].item() / sums[2].item()}


def train(run):
    """The entry the run config names (`torch_resnet_fashion.py:train`): `run` carries the config."""
    torch.manual_seed(run.seed)
    rank, world = run.rank, run.world_size
    x_train, y_train = run.data('train')
    x_test, y_test = run.data('test')
    model = ResNet()
    net = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt_cfg = run.optimizer
    if opt_cfg['type'] == 'adam':
        opt = torch.optim.AdamW(net.parameters(), lr=opt_cfg.get('learningRate', 1e-3), weight_decay=opt_cfg.get('weightDecay', 0))
    else:
        opt = torch.optim.SGD(net.parameters(), lr=opt_cfg.get('learningRate', 0.05), momentum=opt_cfg.get('momentum', 0.9),
                              weight_decay=opt_cfg.get('weightDecay', 0))
    share = max(1, run.batch_size // world)  # each rank takes its share of every global batch
    steps_per_epoch = x_train.shape[0] // (share * world)
    elsa = run.elsa(model if world == 1 else net, opt, steps_per_epoch, evaluate=lambda: evaluate(model, x_test, y_test, rank, world))
    for phase in elsa.phases():
        for epoch in range(phase.epochs):
            order = torch.randperm(x_train.shape[0], generator=torch.Generator().manual_seed(run.seed * 1000 + elsa.global_epoch))
            loss_sum, correct, seen, started = 0.0, 0, 0, time.time()
            for step in range(steps_per_epoch):
                idx = order[(step * world + rank) * share:(step * world + rank + 1) * share]
                logits = net(x_train[idx])
                loss = F.cross_entropy(logits, y_train[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                elsa.step()
                loss_sum += loss.item() * idx.numel()
                correct += int((logits.argmax(1) == y_train[idx]).sum())
                seen += idx.numel()
            ev = evaluate(model, x_test, y_test, rank, world)
            elsa.log_epoch(loss_sum / seen, correct / seen, eval_loss=ev['loss'], eval_accuracy=ev['accuracy'], samples=seen * world)
            if rank == 0:
                print(f'phase {phase.index} epoch {epoch + 1}/{phase.epochs}: loss {loss_sum / seen:.4f}, test acc {ev["accuracy"]:.4f}, '
                      f'sparsity {elsa.current_sparsity():.3f}, {time.time() - started:.1f}s', flush=True)


if __name__ == '__main__':
    from elsa_torch.launch import run_entry
    run_entry(train, sys.argv[1] if len(sys.argv) > 1 else 'torch-resnet.elsa.json')
