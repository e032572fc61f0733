"""`python3 -m elsa_torch.torchrun ARGS` = `torchrun ARGS`, with one fix: torch 1.13 under Python 3.11
(Debian's python3-torch) parses `--redirects`/`--tee` to None, because iterating an enum.Flag no longer
yields its zero member, and every launch fails with "'NoneType' object has no attribute 'get'". Newer
torch releases do not need this; it changes nothing else."""
import re
import sys


def _patch():
    from torch.distributed.elastic.multiprocessing import api
    Std = api.Std

    def from_str(vm):
        if re.fullmatch(r'\d', vm):
            return Std(int(vm))
        if re.fullmatch(r'(\d:\d)(,\d:\d)*', vm):
            return {int(i): Std(int(v)) for i, v in (m.split(':') for m in vm.split(','))}
        raise ValueError(f'{vm} is not a digit or a mapping such as 0:1,1:2')

    if Std.from_str('0') is None:
        Std.from_str = staticmethod(from_str)


def main():
    _patch()
    from torch.distributed.run import main as torchrun_main
    sys.argv[0] = 'torchrun'
    torchrun_main()


if __name__ == '__main__':
    main()
