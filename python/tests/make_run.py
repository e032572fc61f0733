"""A small ELSA run in PyTorch (the tests' CNN with batch norm, 4 levels, evaluation metrics), written to OUT:
OUT/torch-cnn.elsa.safetensors and OUT/events.jsonl -- what the contract and cross-engine tests read."""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.dirname(__file__))
from elsa_torch import Elsa, Schedule  # noqa: E402
from models import SmallCnn, quadrants  # noqa: E402

STEPS, BATCH = 6, 16


def main(out, sparsifier='gmp'):
    torch.manual_seed(0)
    x, y = quadrants(STEPS * BATCH, 1)
    xt, yt = quadrants(64, 2)
    model = SmallCnn(bn=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)

    def evaluate():
        model.eval()
        with torch.no_grad():
            logits = model(xt)
        model.train()
        return {'accuracy': float((logits.argmax(1) == yt).float().mean()), 'loss': float(F.cross_entropy(logits, yt))}

    elsa = Elsa(model, levels=[0.95, 0.9, 0.75, 0.5], sparsifier=sparsifier, optimizer=opt, schedule=Schedule(STEPS, warmup=1, per_phase=1, dense=1),
                prune_every=2, evaluate=evaluate, out_dir=out, name='torch-cnn', dataset='quadrants', seed=0)
    for phase in elsa.phases():
        for _ in range(phase.epochs):
            for b in range(STEPS):
                loss = F.cross_entropy(model(x[b * BATCH:(b + 1) * BATCH]), y[b * BATCH:(b + 1) * BATCH])
                opt.zero_grad()
                loss.backward()
                opt.step()
                elsa.step()
            ev = evaluate()
            elsa.log_epoch(float(loss), ev['accuracy'], eval_loss=ev['loss'], eval_accuracy=ev['accuracy'], samples=STEPS * BATCH)


if __name__ == '__main__':
    main(sys.argv[1], *sys.argv[2:3])
