"""`python3 -m elsa_torch inspect|extract|eval|launch`: the `elsa` CLI's commands for people without the
editor (docs/format.md). Errors are one line, `Kind: file: problem`, exit code 2."""
import argparse
import json
import os
import sys

import torch

from .checkpoint import Checkpoint, extract_level, level_info, write_level_safetensors, write_level_sparse
from .errors import ElsaError, UsageError


def human_bytes(n):
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if n < 1024 or unit == 'GiB':
            return f'{n:.0f} {unit}' if unit == 'B' else f'{n:.2f} {unit}'
        n /= 1024


def pct(v):
    return '-' if v is None else f'{100 * v:.1f}%'


def cmd_inspect(args):
    ck = Checkpoint(args.checkpoint)
    meta = ck.meta
    K = len(meta['targets'])
    report = {'path': args.checkpoint, 'fileSize': ck.header.file_size, 'targets': meta['targets'], 'packing': meta['packing'],
              'kind': meta.get('kind'), 'training': meta.get('training'), 'provenance': meta.get('provenance'),
              'levels': [{'index': l['index'], 'targetSparsity': l['targetSparsity'], 'sparsity': l['sparsity'],
                          'accuracy': (l.get('metrics') or {}).get('accuracy'), **({'dense': True} if l.get('dense') else {})} for l in meta['levels']],
              'tensors': []}
    for name in ck.header.names_in_file_order():
        e = ck.header.tensors[name]
        t = {'name': name, 'dtype': e['dtype'], 'shape': e['shape'], 'bytes': e['offsets'][1] - e['offsets'][0]}
        if name in meta['codes']:
            c = ck.codes(name)
            t['levelSparsity'] = [float((c > k).sum()) / max(1, c.numel()) for k in range(1, K + 2)]
        report['tensors'].append(t)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    prov = meta.get('provenance') or {}
    print(f'{os.path.basename(args.checkpoint)}: ELSA checkpoint, {human_bytes(ck.header.file_size)}, {len(ck.header.tensors)} tensors')
    print(f'levels: K={K}, {meta.get("kind", "elsa")} run, codes {meta["packing"]}, small params {(meta.get("smallParams") or {}).get("mode", "-")}')
    print(f'  {"level":<10} {"target":>8} {"sparsity":>9} {"accuracy":>9}')
    for l in report['levels']:
        label = f'{l["index"]}{" (dense)" if l.get("dense") else ""}'
        print(f'  {label:<10} {pct(l["targetSparsity"]):>8} {pct(l["sparsity"]):>9} {pct(l["accuracy"]):>9}')
    tr = meta.get('training') or {}
    if tr:
        print(f'training: {tr.get("status")}, phase {tr.get("phase")}, epoch {tr.get("epoch")}, step {tr.get("step")}')
    if prov:
        print(f'provenance: {prov.get("tool")} {prov.get("version")}, backend {prov.get("backend")}, {prov.get("createdAt")}')
    print()
    print(f'{"tensor":<40} {"dtype":<5} {"shape":<16} {"bytes":>10}  sparsity per level (1..K+1)')
    for t in report['tensors']:
        star = ' *' if 'levelSparsity' in t else ''
        per = ' '.join(pct(s) for s in t.get('levelSparsity', []))
        print(f'{t["name"] + star:<40} {t["dtype"]:<5} {json.dumps(t["shape"]).replace(" ", ""):<16} {human_bytes(t["bytes"]):>10}  {per}')
    return 0


def cmd_extract(args):
    if args.format not in ('safetensors', 'sparse'):
        raise UsageError(f'extract: --format must be safetensors or sparse, got "{args.format}" (TF.js export: use the elsa CLI)')
    level, meta, weights = extract_level(args.checkpoint, args.level)
    (write_level_safetensors if args.format == 'safetensors' else write_level_sparse)(args.out, args.checkpoint, level, meta, weights)
    info = level_info(meta, level) or {}
    print(f'wrote {args.out}: level {level} ({pct(info.get("sparsity"))} sparse, test acc {pct((info.get("metrics") or {}).get("accuracy"))}), '
          f'{args.format}, {os.path.getsize(args.out)} bytes')
    return 0


def cmd_eval(args):
    """Accuracy and loss of levels of a checkpoint the TypeScript engine wrote (TF.js topology), in PyTorch."""
    from .data import default_data_dir, load_split
    from .tfjs import load_tfjs_level
    import torch.nn.functional as F
    ck = Checkpoint(args.checkpoint)
    levels = [ck.resolve_level(args.level)] if args.level is not None else [l['index'] for l in ck.meta['levels']]
    x, y = load_split(args.data or default_data_dir(), 'test', args.limit)
    rows = []
    for level in levels:
        _, model = load_tfjs_level(args.checkpoint, level)
        with torch.no_grad():
            logits = torch.cat([model(x[i:i + 500]) for i in range(0, x.shape[0], 500)])
        # the share as a double, as the TypeScript evaluation reports it (correct / count)
        rows.append({'level': level, 'accuracy': int((logits.argmax(1) == y).sum()) / y.shape[0], 'loss': float(F.cross_entropy(logits, y))})
    if args.json:
        print(json.dumps({'file': args.checkpoint, 'levels': rows}, indent=2))
    else:
        for r in rows:
            print(f'level {r["level"]}: accuracy {pct(r["accuracy"])}, loss {r["loss"]:.4f}')
    return 0


def cmd_launch(args):
    from .launch import launch
    return launch(args.config)


def parser():
    p = argparse.ArgumentParser(prog='python3 -m elsa_torch', description='ELSA nested sparse networks in PyTorch: inspect, extract, evaluate, launch.')
    sub = p.add_subparsers(dest='command', required=True)
    i = sub.add_parser('inspect', help='levels, codes and tensors of an ELSA checkpoint')
    i.add_argument('checkpoint')
    i.add_argument('--json', action='store_true')
    i.set_defaults(run=cmd_inspect)
    e = sub.add_parser('extract', help='one level: weights outside its mask zeroed, its own small parameters')
    e.add_argument('checkpoint')
    e.add_argument('-l', '--level', required=True, help='level index 1..K+1, or a target sparsity such as 0.9')
    e.add_argument('-f', '--format', default='safetensors', help='safetensors (default) | sparse')
    e.add_argument('-o', '--out', required=True)
    e.set_defaults(run=cmd_extract)
    v = sub.add_parser('eval', help='test accuracy of the levels of a checkpoint written by the TypeScript engine')
    v.add_argument('checkpoint')
    v.add_argument('-l', '--level')
    v.add_argument('--data', help='folder with Fashion-MNIST IDX files')
    v.add_argument('--limit', type=int)
    v.add_argument('--json', action='store_true')
    v.set_defaults(run=cmd_eval)
    r = sub.add_parser('launch', help='run a PyTorch-engine run config on this rank (under torchrun)')
    r.add_argument('config')
    r.set_defaults(run=cmd_launch)
    return p


def main(argv=None):
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0) and 2
    try:
        return args.run(args)
    except ElsaError as e:
        if os.environ.get('RANK', '0') == '0':  # under torchrun: one line, not one per rank
            print(e.line(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == '__main__':
    sys.exit(main())
