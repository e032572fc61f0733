"""Sparsifiers: a schedule (how sparse the network should be at a point of a phase) and a selection rule
(which weights stay, chosen among the free ones only; frozen weights of earlier levels are always kept).
The same rules as the TypeScript core (src/core/method/sparsifiers/): GMP with the cubic schedule of Zhu &
Gupta, one-shot magnitude, N:M, AC/DC; magnitude ranking global (ties: lower tensor, then lower index
first) or per layer. Selections run on flat float32 tensors and return bool masks (True = kept)."""
import math

import torch


def js_round(x):
    """JavaScript's Math.round (halves round up), so kept counts match the TypeScript engine."""
    return math.floor(x + 0.5)


def gmp_sparsity(progress, start, target, ramp_fraction):
    if progress >= ramp_fraction:
        return target
    t = max(0.0, progress) / ramp_fraction
    return target + (start - target) * (1 - t) ** 3


def acdc_sparsity(progress, start, target, ramp_fraction):
    warm = 0.1 * ramp_fraction
    if progress < warm:
        return start
    if progress >= ramp_fraction:
        return target
    stretch = (ramp_fraction - warm) / 5  # compressed, decompressed, compressed, decompressed, compressed
    i = math.floor((progress - warm) / stretch)
    return target if i % 2 == 0 else start


def _keep_first(candidates, need):
    """Of a bool tensor, keep the first `need` True entries (index order)."""
    if need <= 0:
        return torch.zeros_like(candidates)
    return candidates & (torch.cumsum(candidates.to(torch.int64), 0) <= need)


def select_global(values, frozen, sparsity):
    """Keep round((1-s)*N) weights over all tensors: frozen ones, then the largest |w| among the free."""
    sizes = [v.numel() for v in values]
    total = sum(sizes)
    mags = torch.cat([v.reshape(-1).abs() for v in values]) if values else torch.empty(0)
    fro = torch.cat([f.reshape(-1) for f in frozen]) if frozen else torch.empty(0, dtype=torch.bool)
    keep = js_round((1 - sparsity) * total) - int(fro.sum())
    out = fro.clone()
    free_idx = torch.nonzero(~fro, as_tuple=True)[0]
    free = free_idx.numel()
    if keep > 0 and free > 0:
        if keep >= free:
            out[free_idx] = True
        else:
            m = mags[free_idx]
            # the keep-th largest magnitude; everything above it stays, then ties in index order
            threshold = torch.kthvalue(m, free - keep + 1).values
            above = m > threshold
            ties = _keep_first(m == threshold, keep - int(above.sum()))
            out[free_idx[above | ties]] = True
    return list(torch.split(out, sizes))


def select_layer(values, frozen, sparsity):
    out = []
    for v, f in zip(values, frozen):
        out.extend(select_global([v], [f], sparsity))
    return out


def select_nm(values, frozen, n, m, fan_in_last=True):
    """N:M along the fan-in: in every group of m consecutive fan-in weights of one output unit, n stay (frozen
    ones count towards n); a trailing partial group keeps round(n*len/m). PyTorch layouts put the fan-in
    last in memory (Linear [out, in], Conv [out, in, kh, kw] -> rows of in*kh*kw)."""
    out = []
    for v, f in zip(values, frozen):
        rows = v.shape[0] if v.dim() > 1 else 1
        flat = v.reshape(rows, -1).abs()
        fro = f.reshape(rows, -1)
        cols = flat.shape[1]
        full = (cols // m) * m
        keep = torch.zeros_like(fro)

        def group(mags, fz, want):
            # frozen weights rank first (always kept), then magnitude descending, ties: lower index first
            key = torch.where(fz, torch.full_like(mags, math.inf), mags)
            order = torch.sort(key, dim=-1, descending=True, stable=True).indices
            rank = torch.empty_like(order)
            rank.scatter_(-1, order, torch.arange(order.shape[-1]).expand_as(order).contiguous())
            return (rank < want) | fz

        if full:
            g = group(flat[:, :full].reshape(rows, -1, m), fro[:, :full].reshape(rows, -1, m), n)
            keep[:, :full] = g.reshape(rows, full)
        if full < cols:
            tail = cols - full
            keep[:, full:] = group(flat[:, full:], fro[:, full:], js_round(n * tail / m))
        out.append(keep.reshape(v.shape))
    return out


class Sparsifier:
    """`kind`: gmp | magnitude | nm | acdc. `update_every`: steps between mask updates for gmp (1 for acdc,
    None for the one-shot rules, which select once per phase after the free weights have trained)."""

    def __init__(self, kind='gmp', scope='global', prune_every=20, ramp_fraction=0.75, m=4, select_at=None):
        # One-shot and N:M select once per phase, by default where the TypeScript engine does: at `ramp_fraction`
        # of the phase (docs/method.md), after the free weights have trained.
        if select_at is None:
            select_at = ramp_fraction if ramp_fraction < 1 else 0.5
        if kind not in ('gmp', 'magnitude', 'nm', 'acdc'):
            raise ValueError(f'sparsifier must be gmp, magnitude, nm or acdc, got {kind!r}')
        if scope not in ('global', 'layer'):
            raise ValueError(f'scope must be "global" or "layer", got {scope!r}')
        if not (isinstance(prune_every, int) and prune_every >= 1):
            raise ValueError(f'prune_every must be an integer >= 1, got {prune_every!r}')
        if not 0 < ramp_fraction <= 1:
            raise ValueError(f'ramp_fraction must be in (0, 1], got {ramp_fraction!r}')
        if not 0 <= select_at < 1:
            raise ValueError(f'select_at must be in [0, 1), got {select_at!r}')
        self.kind, self.scope, self.prune_every, self.ramp_fraction, self.m, self.select_at = kind, scope, prune_every, ramp_fraction, m, select_at
        self.update_every = {'gmp': prune_every, 'acdc': 1}.get(kind)

    @property
    def one_shot(self):
        return self.kind in ('magnitude', 'nm')

    def sparsity_at(self, progress, start, target):
        if self.kind == 'gmp':
            return gmp_sparsity(progress, start, target, self.ramp_fraction)
        if self.kind == 'acdc':
            return acdc_sparsity(progress, start, target, self.ramp_fraction)
        return target

    def select(self, values, frozen, sparsity):
        if self.kind == 'nm':
            n = js_round((1 - sparsity) * self.m)
            if n >= self.m:
                return [torch.ones_like(f) for f in frozen]
            return select_nm(values, frozen, n, self.m)
        return (select_global if self.scope == 'global' else select_layer)(values, frozen, sparsity)

    def describe(self):
        return {'type': self.kind, 'scope': self.scope, 'm': self.m, 'pruneEvery': self.prune_every, 'rampFraction': self.ramp_fraction}
