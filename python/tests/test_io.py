"""safetensors writer/reader, code packing (bits<N> stores code - 1), and one-line errors on bad files."""
import os
import struct
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
from elsa_torch import safetensors as st  # noqa: E402
from elsa_torch.checkpoint import Checkpoint  # noqa: E402
from elsa_torch.codes import pack_codes, packing_for, unpack_codes  # noqa: E402
from elsa_torch.errors import CheckpointError  # noqa: E402


class Codes(unittest.TestCase):
    def test_bits_store_code_minus_one_lsb_first(self):
        # codes 1..5 in bits3: 0b000, 0b001, 0b010, 0b011, 0b100 -> stream 000 100 010 110 001 (LSB first)
        self.assertEqual(pack_codes(torch.tensor([1, 2, 3, 4, 5], dtype=torch.uint8), 'bits3').tolist(), [136, 70])
        self.assertEqual(pack_codes(torch.tensor([2, 1, 2], dtype=torch.uint8), 'bits1').tolist(), [0b101])

    def test_round_trip_and_tightest_packing(self):
        self.assertEqual([packing_for(k) for k in (0, 1, 2, 3, 4, 7, 8, 127, 128)], ['bits1', 'bits1', 'bits2', 'bits2', 'bits3', 'bits3', 'bits4', 'bits7', 'u8'])
        g = torch.Generator().manual_seed(1)
        for K in (1, 2, 4, 7, 15, 200):
            p = packing_for(K)
            for n in (0, 1, 7, 8, 9, 1001):
                c = torch.randint(1, K + 2, (n,), dtype=torch.uint8, generator=g)
                self.assertTrue(torch.equal(unpack_codes(pack_codes(c, p), n, p), c))

    def test_bad_codes(self):
        with self.assertRaisesRegex(CheckpointError, 'padding bits'):
            unpack_codes(torch.tensor([0xFF], dtype=torch.uint8), 2, 'bits3')
        with self.assertRaisesRegex(CheckpointError, 'outside|lie in'):
            pack_codes(torch.tensor([0], dtype=torch.uint8), 'bits2')


class Files(unittest.TestCase):
    def test_round_trip_layout(self):
        d = tempfile.mkdtemp()
        p = os.path.join(d, 'a.safetensors')
        tensors = {'w': torch.arange(6, dtype=torch.float32).reshape(2, 3), 'c': torch.tensor([1, 2, 3], dtype=torch.uint8), 'e': torch.zeros(0)}
        st.write_file(p, tensors, {'k': 'v'})
        raw = open(p, 'rb').read()
        n = struct.unpack('<Q', raw[:8])[0]
        self.assertEqual((8 + n) % 8, 0)  # data section 8-byte aligned, as the TypeScript writer does
        header, back = st.read_file(p)
        self.assertEqual(header.metadata, {'k': 'v'})
        self.assertEqual(list(back), ['w', 'c', 'e'])
        for k in tensors:
            self.assertTrue(torch.equal(back[k], tensors[k]))
        self.assertEqual(os.listdir(d), ['a.safetensors'])  # no temporary left behind

    def test_bad_files_are_one_line_errors(self):
        d = tempfile.mkdtemp()
        cases = {
            'short': b'abc',
            'huge-header': struct.pack('<Q', 1 << 40) + b'{}',
            'not-json': struct.pack('<Q', 4) + b'{{{{',
            'overrun': struct.pack('<Q', 56) + b'{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}' + b'\0' * 4,
            'no-elsa': struct.pack('<Q', 2) + b'{}',
        }
        for name, data in cases.items():
            p = os.path.join(d, name)
            with open(p, 'wb') as f:
                f.write(data)
            with self.assertRaises(CheckpointError) as ctx:
                Checkpoint(p)
            self.assertNotIn('\n', str(ctx.exception))
            self.assertTrue(str(ctx.exception).startswith(name + ':'), str(ctx.exception))


if __name__ == '__main__':
    unittest.main()
