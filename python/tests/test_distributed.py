"""torchrun with 2 processes (CPU, gloo) gives the 1-process result: same codes on every rank and as alone,
weights equal up to float tolerance (the all-reduce sums in another order); only rank 0 writes files."""
import os
import subprocess
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
from elsa_torch.checkpoint import Checkpoint  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def torchrun(nproc, out):
    cmd = [sys.executable, '-m', 'elsa_torch.torchrun', '--standalone', '--nnodes', '1', '--nproc_per_node', str(nproc),
           os.path.join(HERE, 'ddp_train.py'), out]
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': os.path.join(HERE, '..') + os.pathsep + os.environ.get('PYTHONPATH', '')}
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    if r.returncode != 0:
        raise AssertionError(f'torchrun --nproc_per_node {nproc} failed ({r.returncode}):\n{r.stderr[-3000:]}')


class Distributed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.one = tempfile.mkdtemp(prefix='elsa-ddp1-')
        cls.two = tempfile.mkdtemp(prefix='elsa-ddp2-')
        torchrun(1, cls.one)
        torchrun(2, cls.two)

    def test_codes_identical_across_ranks(self):
        r0 = torch.load(os.path.join(self.two, 'rank0.pt'))
        r1 = torch.load(os.path.join(self.two, 'rank1.pt'))
        self.assertEqual(r0['world'], 2)
        for name in r0['codes']:
            self.assertTrue(torch.equal(r0['codes'][name], r1['codes'][name]), f'{name}: codes differ between ranks')
            self.assertTrue(torch.equal(r0['weights'][name], r1['weights'][name]), f'{name}: weights differ between ranks')

    def test_two_processes_equal_one(self):
        a = torch.load(os.path.join(self.one, 'rank0.pt'))
        b = torch.load(os.path.join(self.two, 'rank0.pt'))
        for name in a['codes']:
            self.assertTrue(torch.equal(a['codes'][name], b['codes'][name]), f'{name}: codes of 1 and 2 processes differ')
        for name, w in a['weights'].items():
            worst = float((w - b['weights'][name]).abs().max())
            self.assertLess(worst, 1e-4, f'{name}: 1 vs 2 processes differ by {worst}')
        ca, cb = Checkpoint(os.path.join(self.one, 'ddp.elsa.safetensors')), Checkpoint(os.path.join(self.two, 'ddp.elsa.safetensors'))
        self.assertEqual([l['sparsity'] for l in ca.meta['levels']], [l['sparsity'] for l in cb.meta['levels']])
        self.assertIn('2 processes (gloo)', cb.meta['provenance']['backend'])

    def test_only_rank0_writes(self):
        files = sorted(f for f in os.listdir(self.two) if not f.startswith('rank'))
        self.assertEqual(files, ['ddp.elsa.safetensors', 'events.jsonl'])
        with open(os.path.join(self.two, 'events.jsonl')) as f:
            lines = f.read().splitlines()
        self.assertEqual(sum('"type":"run-start"' in l for l in lines), 1)
        self.assertIn('"type":"run-end"', lines[-1])


if __name__ == '__main__':
    unittest.main()
