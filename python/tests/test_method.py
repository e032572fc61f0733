"""The ELSA invariants in PyTorch: frozen weights bit-identical (SGD+momentum+weight decay, AdamW), nested
masks, per-level batch-norm parameters, and every extracted level bit-identical to the live network at the
end of its phase. Run: python3 -m unittest discover -s python/tests"""
import os
import sys
import tempfile
import unittest

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.dirname(__file__))
from elsa_torch import Elsa, Schedule, extract_level, load_level  # noqa: E402
from elsa_torch.checkpoint import Checkpoint  # noqa: E402
from models import SmallCnn, quadrants  # noqa: E402

STEPS = 8
BATCH = 16


class Recorder:
    """Wraps Elsa.next_phase to record the live network right after each level is fixed."""

    def __init__(self):
        self.snaps, self.logits = {}, {}

    def install(self, elsa, model, probe):
        original = elsa.next_phase

        def next_phase(metrics=None):
            index = elsa.phase
            result = original(metrics)
            if index >= 1:
                self.snaps[index] = {k: v.clone() for k, v in model.state_dict().items()}
                model.eval()
                with torch.no_grad():
                    self.logits[index] = model(probe).clone()
                model.train()
            return result
        elsa.next_phase = next_phase


def run(make_opt, levels=(0.9, 0.6), bn=False, small='perLevel', seed=0, sparsifier='gmp', **kw):
    torch.manual_seed(seed)
    x, y = quadrants(STEPS * BATCH, 1)
    probe, _ = quadrants(32, 2)
    model = SmallCnn(bn=bn)
    opt = make_opt(model.parameters())
    out = tempfile.mkdtemp(prefix='elsa-torch-test-')
    kw.setdefault('prune_every', 3)
    elsa = Elsa(model, levels=list(levels), sparsifier=sparsifier, optimizer=opt, schedule=Schedule(STEPS, warmup=1, per_phase=2, dense=1),
                small_params=small, out_dir=out, name='t', **kw)
    rec = Recorder()
    rec.install(elsa, model, probe)
    for phase in elsa.phases():
        for _ in range(phase.epochs):
            model.train()
            for b in range(STEPS):
                xb, yb = x[b * BATCH:(b + 1) * BATCH], y[b * BATCH:(b + 1) * BATCH]
                loss = F.cross_entropy(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                elsa.step()
            elsa.log_epoch(float(loss), 0.0, samples=STEPS * BATCH)
    return elsa, model, rec, os.path.join(out, 't.elsa.safetensors'), probe


def bits(t):
    return t.contiguous().view(torch.int32) if t.dtype == torch.float32 else t


SGD = lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-2)  # noqa: E731
ADAMW = lambda p: torch.optim.AdamW(p, lr=3e-3, weight_decay=0.05)  # noqa: E731


class Exactness(unittest.TestCase):
    def check_levels(self, elsa, model, rec, path, probe):
        K = elsa.K
        self.assertEqual(sorted(rec.snaps), list(range(1, K + 2)))
        for level in range(1, K + 2):
            lvl, meta, weights = extract_level(path, level)
            self.assertEqual(lvl, level)
            snap = rec.snaps[level]
            for name, t in weights.items():
                # bit for bit: frozen weights never moved after their phase; the rest is +0
                self.assertTrue(torch.equal(bits(t), bits(snap[name].float())), f'level {level}: {name} differs from the live network at the end of its phase')
            clone = SmallCnn(bn=any('bn' in n for n in weights))
            load_level(clone, path, level)
            clone.eval()
            with torch.no_grad():
                self.assertTrue(torch.equal(clone(probe), rec.logits[level]), f'level {level}: predictions differ')

    def check_nesting(self, elsa, path):
        ck = Checkpoint(path)
        K = len(ck.meta['targets'])
        self.assertEqual(len(ck.meta['levels']), K + 1)
        total = sum(ck.codes(n).numel() for n in ck.sparse_names)
        for k in range(1, K + 1):
            out = sum(int((ck.codes(n) > k).sum()) for n in ck.sparse_names)
            self.assertAlmostEqual(out / total, ck.meta['targets'][k - 1], delta=1.5 / total)
        for n in ck.sparse_names:
            c = ck.codes(n)
            self.assertTrue(int(c.min()) >= 1 and int(c.max()) <= K + 1)
            for k in range(1, K + 1):  # masks nest: level k's weights are inside level k+1's
                self.assertTrue(bool(((c <= k) <= (c <= k + 1)).all()))

    def check_optimizer_state(self, elsa):
        # in the dense phase the weights of levels 1..K are frozen: their optimizer state is zero
        opt = elsa.optimizer
        for t in elsa.tracked:
            frozen = t.codes <= elsa.K
            state = opt.state[t.param]
            self.assertTrue(state, f'{t.name} has no optimizer state')
            for key, v in state.items():
                if torch.is_tensor(v) and v.shape == t.param.shape:
                    self.assertTrue(bool((v[frozen] == 0).all()), f'{t.name}: optimizer state {key} of frozen weights is not zero')
                    if bool((~frozen).any()):
                        self.assertTrue(bool((v[~frozen] != 0).any()), f'{t.name}: optimizer state {key} of free weights is all zero')

    def test_sgd_momentum_weight_decay(self):
        res = run(SGD)
        self.check_levels(*res)
        self.check_nesting(res[0], res[3])
        self.check_optimizer_state(res[0])

    def test_adamw(self):
        res = run(ADAMW, levels=(0.95, 0.8, 0.5))
        self.check_levels(*res)
        self.check_nesting(res[0], res[3])
        self.check_optimizer_state(res[0])

    def test_batch_norm_per_level(self):
        elsa, model, rec, path, probe = res = run(SGD, bn=True)
        self.check_levels(*res)
        ck = Checkpoint(path)
        per = ck.meta['smallParams']['perLevel']
        self.assertEqual(ck.meta['smallParams']['mode'], 'perLevel')
        for name in ('bn1.weight', 'bn1.running_mean', 'bn1.running_var', 'conv1.bias'):
            self.assertEqual(per[name], [f'elsa.level{k}/{name}' for k in (1, 2, 3)])
        # levels keep their own statistics: they differ between level 1 and the dense level
        self.assertFalse(torch.equal(ck.read('elsa.level1/bn1.running_mean'), ck.read('elsa.level3/bn1.running_mean')))

    def test_batch_norm_frozen_mode(self):
        elsa, model, rec, path, probe = res = run(SGD, bn=True, small='frozen')
        self.check_levels(*res)
        ck = Checkpoint(path)
        self.assertEqual(ck.meta['smallParams']['perLevel']['bn2.running_var'], ['elsa.level1/bn2.running_var'] * 3)
        self.assertTrue(torch.equal(bits(model.state_dict()['bn2.running_var']), bits(ck.read('elsa.level1/bn2.running_var'))))

    def test_layer_scope(self):
        elsa, model, rec, path, probe = res = run(SGD, scope='layer')
        self.check_levels(*res)
        ck = Checkpoint(path)
        for n in ck.sparse_names:
            c = ck.codes(n)
            self.assertAlmostEqual(float((c > 1).sum()) / c.numel(), 0.9, delta=1 / c.numel())

    def test_acdc(self):
        self.check_levels(*run(SGD, sparsifier='acdc'))


class OneShot(unittest.TestCase):
    def test_magnitude_selects_among_trained_weights(self):
        elsa, model, rec, path, probe = res = run(SGD, sparsifier='magnitude', levels=(0.9, 0.6))
        Exactness.check_levels(self, *res)
        Exactness.check_nesting(self, elsa, path)
        ck = Checkpoint(path)
        # Level 2 adds weights chosen among the free ones. Had they been chosen while all candidates were
        # still zero, the choice would be the lowest indices: it must not be.
        for n in ('fc1.weight', 'conv2.weight'):
            c = ck.codes(n).reshape(-1)
            free = torch.nonzero(c > 1).reshape(-1)
            chosen = torch.nonzero(c == 2).reshape(-1)
            self.assertGreater(chosen.numel(), 0)
            self.assertFalse(torch.equal(chosen, free[:chosen.numel()]), f'{n}: level 2 is the first free indices (selected among zeros)')

    def test_nm_groups(self):
        elsa, model, rec, path, probe = res = run(SGD, sparsifier='nm', m=4, levels=(0.75, 0.5))
        Exactness.check_levels(self, *res)
        ck = Checkpoint(path)
        for n in ck.sparse_names:
            c = ck.codes(n)
            rows = c.reshape(c.shape[0], -1)
            full = (rows.shape[1] // 4) * 4
            groups = rows[:, :full].reshape(rows.shape[0], -1, 4)
            for k, keep in ((1, 1), (2, 2)):
                self.assertTrue(bool(((groups <= k).sum(-1) == keep).all()), f'{n}: level {k} is not {keep}:4')
        # level 2 adds one weight per group among the three free ones; chosen among all-zero candidates it
        # would be the first free one in every group
        g = ck.codes('fc1.weight').reshape(-1, 4)
        first_free = torch.argmax((g > 1).to(torch.int8), dim=1)
        added = torch.argmax((g == 2).to(torch.int8), dim=1)
        self.assertFalse(torch.equal(first_free, added), 'N:M level 2 took the first free weight of every group (selected among zeros)')


class Refusals(unittest.TestCase):
    def test_bad_levels(self):
        with self.assertRaisesRegex(ValueError, 'strictly decreasing'):
            Elsa(SmallCnn(), levels=[0.5, 0.9], steps_per_phase=4)
        with self.assertRaisesRegex(ValueError, 'steps_per_phase'):
            Elsa(SmallCnn(), levels=[0.9])
        with self.assertRaisesRegex(ValueError, 'N:M'):
            Elsa(SmallCnn(), levels=[0.9], sparsifier='nm')


if __name__ == '__main__':
    unittest.main()
