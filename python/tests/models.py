"""Small models and data for the elsa_torch tests (fast on one CPU core)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCnn(nn.Module):
    """The benchmark CNN's shape (bench/torch_reference.py), sized for 12x12 inputs."""

    def __init__(self, classes=4, bn=False):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8) if bn else nn.Identity()
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16) if bn else nn.Identity()
        self.fc1 = nn.Linear(16 * 3 * 3, 32)
        self.fc2 = nn.Linear(32, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def quadrants(count, seed, size=12):
    """Images whose class is the brightest quadrant: learnable in a few steps."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 4, (count,), generator=g)
    x = 0.2 + 0.25 * torch.randn(count, 1, size, size, generator=g)
    h = size // 2
    for n in range(count):
        qy, qx = int(labels[n]) >> 1, int(labels[n]) & 1
        x[n, 0, qy * h:(qy + 1) * h, qx * h:(qx + 1) * h] += 0.5
    return x.clamp(0, 1), labels
