"""The ELSA method for any torch.nn.Module and any training loop (docs/format.md for the files it writes).

Phases: 0 dense warm-up, 1..K sparsify to s_1 > ... > s_K with the weights of earlier levels frozen, K+1
trains the remaining free weights densely. Every sparsifiable weight gets a level code in 1..K+1 (the
sparsest level that contains it); the mask of level k is `code <= k`, so levels nest by construction.

Exactness: after every optimizer step, `step()` puts back (a select, not a multiply) every weight that must
not move -- frozen weights of earlier levels and pruned ones (held at +0) -- and zeroes their optimizer state,
so frozen weights stay bit-identical under SGD with momentum and weight decay and under Adam(W)."""
import math
import os
import time

import torch
import torch.distributed as dist

from . import __version__
from .checkpoint import ELSA_FORMAT, as_f32, write as write_checkpoint
from .events import EventLog
from .sparsifiers import Sparsifier
from .schedule import ElsaOptimizer, Phase, Schedule  # noqa: F401 (re-exported)
from .topology import describe_module

SPARSIFIABLE_TYPES = (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d,
                      torch.nn.ConvTranspose1d, torch.nn.ConvTranspose2d, torch.nn.ConvTranspose3d)


def unwrap(model):
    """The module under DistributedDataParallel / DataParallel wrappers."""
    while isinstance(model, (torch.nn.parallel.DistributedDataParallel, torch.nn.DataParallel)):
        model = model.module
    return model


def distributed():
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank():
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


class _Tracked:
    """One sparsifiable weight: codes, the active mask, what may move this phase and what the rest holds."""

    def __init__(self, name, param, dense_code):
        self.name, self.param = name, param
        self.codes = torch.full(param.shape, dense_code, dtype=torch.uint8, device=param.device)
        self.active = torch.ones(param.shape, dtype=torch.bool, device=param.device)
        self.movable = None  # bool tensor (True = may change) or None (everything may change)
        self.fixed = None  # ~movable
        self.held = None  # values where movable is False


class Elsa:
    """Wrap a model: `elsa = Elsa(model, levels=[0.95, 0.9, 0.75, 0.5], optimizer=opt, schedule=Schedule(...))`,
    then `elsa.step()` after every `optimizer.step()`, `elsa.next_phase()` at the end of every phase (or loop
    over `elsa.phases()`), and `elsa.save(path)`. With `out_dir`, rank 0 writes `<out_dir>/events.jsonl` live
    and `<out_dir>/<name>.elsa.safetensors` after every phase."""

    def __init__(self, model, levels, sparsifier='gmp', scope='global', optimizer=None, schedule=None, steps_per_phase=None,
                 prune_every=20, ramp_fraction=0.75, m=4, select_at=None, small_params='perLevel', sparsify=None,
                 evaluate=None, out_dir=None, name='run', config=None, dataset=None, seed=None):
        levels = [float(s) for s in levels]
        if not levels or any(not 0 < s < 1 for s in levels) or any(levels[i] >= levels[i - 1] for i in range(1, len(levels))):
            raise ValueError(f'levels must be sparsities in (0, 1), strictly decreasing (sparsest first), got {levels}')
        if len(levels) > 254:
            raise ValueError('at most 254 levels')
        if small_params not in ('perLevel', 'frozen'):
            raise ValueError(f'small_params must be "perLevel" or "frozen", got {small_params!r}')
        self.sparsifier = sparsifier if isinstance(sparsifier, Sparsifier) else Sparsifier(
            sparsifier, scope, prune_every=prune_every, ramp_fraction=ramp_fraction, m=m, select_at=select_at)
        if self.sparsifier.kind == 'nm':
            for s in levels:
                n = (1 - s) * self.sparsifier.m
                if abs(n - round(n)) > 1e-6 or round(n) < 1:
                    raise ValueError(f'N:M with m={self.sparsifier.m} cannot reach sparsity {s}: (1 - s) * m must be a whole number >= 1')
        self.model = model
        self.module = unwrap(model)
        self.targets = levels
        self.K = len(levels)
        self.small_mode = small_params
        self.optimizer = optimizer
        self.schedule = schedule
        self.steps_per_phase = steps_per_phase if steps_per_phase is not None else (schedule.per_phase * schedule.steps_per_epoch if schedule else None)
        if self.sparsifier.kind in ('gmp', 'acdc') and not self.steps_per_phase:
            raise ValueError(f'the {self.sparsifier.kind} schedule needs steps_per_phase (or schedule=Schedule(steps_per_epoch, ...))')
        self.evaluate = evaluate
        self.name = name
        self.seed = seed
        self.dataset = dataset
        self.user_config = config

        sparse_names = set(sparsify) if sparsify is not None else {
            f'{mod_name}.weight' if mod_name else 'weight'
            for mod_name, mod in self.module.named_modules() if isinstance(mod, SPARSIFIABLE_TYPES) and getattr(mod, 'weight', None) is not None}
        params = dict(self.module.named_parameters())
        unknown = sorted(sparse_names - set(params))
        if unknown:
            raise ValueError(f'sparsify names parameters the model does not have: {", ".join(unknown)}')
        if not sparse_names:
            raise ValueError('the model has no Linear or Conv weights to sparsify (pass sparsify=[names])')
        state = self.module.state_dict(keep_vars=True)
        # state_dict order = model order: the checkpoint keeps it
        self.tracked = [_Tracked(n, params[n], self.K + 1) for n in state if n in sparse_names]
        self.small = [(n, t) for n, t in state.items() if n not in sparse_names and torch.is_floating_point(t)]
        self.frozen_small = None
        self.level_params = {}
        self.levels = []
        self.phase = 0
        self.epoch = 0
        self.global_epoch = 0
        self.step_in_phase = 0
        self.global_step = 0
        self.applied = 0.0
        self.selected = False
        self.finished = False
        self.started = time.time()
        self.epoch_started = time.time()
        self.rank = rank()
        self.out_dir = out_dir
        self.checkpoint_path = os.path.join(out_dir, f'{name}.elsa.safetensors') if out_dir else None
        self.events = EventLog(os.path.join(out_dir, 'events.jsonl') if out_dir else None, enabled=self.rank == 0)
        self.events.emit({'type': 'run-start', 'run': name, 'kind': 'elsa', 'targets': self.targets, 'backend': self.backend_label(), 'config': self.config()})
        self._phase_start()

    # ---- description -------------------------------------------------------------------------------------

    def backend_label(self):
        world = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
        device = self.tracked[0].param.device.type
        how = f', {world} processes ({dist.get_backend()})' if world > 1 else ''
        return f'torch {torch.__version__} {device}{how}'

    def config(self):
        base = {'name': self.name, 'levels': self.targets, 'sparsifier': self.sparsifier.describe(), 'smallParams': self.small_mode,
                'engine': {'type': 'torch', 'package': f'elsa_torch {__version__}'}}
        if self.schedule:
            base['epochs'] = {'warmup': self.schedule.warmup, 'perPhase': self.schedule.per_phase, 'dense': self.schedule.dense}
        if self.seed is not None:
            base['seed'] = self.seed
        if self.user_config:
            base.update(self.user_config)
        return base

    def phase_info(self, index=None):
        i = self.phase if index is None else index
        kind = 'warmup' if i == 0 else 'dense' if i == self.K + 1 else 'sparse'
        target = self.targets[i - 1] if kind == 'sparse' else 0.0
        epochs = self.schedule.epochs_of(kind) if self.schedule else None
        steps = self.steps_per_phase if kind == 'sparse' else None
        return Phase(i, kind, target, epochs, steps)

    def phases(self):
        """Yields the phases from the current one to K+1; leaving an iteration ends that phase (next_phase)."""
        while not self.finished:
            p = self.phase_info()
            yield p
            self.next_phase()

    # ---- the training-loop hooks -------------------------------------------------------------------------

    def wrap_optimizer(self, optimizer):
        """An optimizer whose step() also runs elsa.step()."""
        self.optimizer = optimizer
        return ElsaOptimizer(optimizer, self)

    @torch.no_grad()
    def step(self):
        """Call after every optimizer.step(): restores what must not move, then prepares the next step's mask."""
        if self.finished:
            raise RuntimeError('ELSA: all phases are done; step() after the last next_phase()')
        if self.optimizer is None:
            # without it, frozen weights' momentum / Adam moments could not be zeroed, nor reset per phase
            raise RuntimeError('ELSA: give the optimizer: Elsa(..., optimizer=opt) or opt = elsa.wrap_optimizer(opt)')
        if self.phase >= 1:
            opt_state = self.optimizer.state
            for t in self.tracked:
                if t.movable is None:
                    continue
                p = t.param.data
                torch.where(t.movable, p, t.held, out=p)
                s = opt_state.get(t.param)
                if s:
                    for v in s.values():
                        if torch.is_tensor(v) and v.shape == p.shape and torch.is_floating_point(v):
                            v.masked_fill_(t.fixed, 0)
            if self.frozen_small is not None:
                for (n, t), held in zip(self.small, self.frozen_small):
                    t.data.copy_(held)
                    s = opt_state.get(t) if isinstance(t, torch.nn.Parameter) else None
                    for v in (s or {}).values():
                        if torch.is_tensor(v) and v.shape == t.shape and torch.is_floating_point(v):
                            v.zero_()
        self.step_in_phase += 1
        self.global_step += 1
        info = self.phase_info()
        if info.kind == 'sparse':
            self._scheduled_mask(info)

    def next_phase(self, metrics=None):
        """End the current phase (a sparse phase fixes its level's codes) and start the next one. `metrics`
        (e.g. {'accuracy': 0.91, 'loss': 0.3}) are recorded for the level; without them `evaluate()` is called
        when given."""
        if self.finished:
            raise RuntimeError('ELSA: all phases are done')
        info = self.phase_info()
        if info.index >= 1:
            self._finish_level(info, metrics)
        if info.index == self.K + 1:
            self.finished = True
            self.save(status='complete')
            self.events.emit({'type': 'run-end', 'status': 'complete', 'seconds': time.time() - self.started})
            return None
        self.phase += 1
        self.epoch = 0
        self.save(status='training')
        self._phase_start()
        return self.phase_info()

    def log_epoch(self, loss, accuracy, eval_loss=None, eval_accuracy=None, samples=None, learning_rate=None):
        """Record one finished epoch (an `epoch` event: the dashboard's training curves)."""
        self.epoch += 1
        self.global_epoch += 1
        seconds = time.time() - self.epoch_started
        self.epoch_started = time.time()
        lr = learning_rate
        if lr is None and self.optimizer is not None and self.optimizer.param_groups:
            lr = self.optimizer.param_groups[0].get('lr')
        self.events.emit({
            'type': 'epoch', 'phase': self.phase, 'epoch': self.epoch, 'step': self.global_step, 'loss': float(loss), 'accuracy': float(accuracy),
            'evalLoss': None if eval_loss is None else float(eval_loss), 'evalAccuracy': None if eval_accuracy is None else float(eval_accuracy),
            'sparsity': self.current_sparsity(), 'layerSparsity': self.layer_sparsity(), 'seconds': seconds,
            'samplesPerSecond': (samples or 0) / max(seconds, 1e-9), 'learningRate': float(lr) if lr is not None else 0.0,
        })

    def close(self, status='complete', message=None):
        """End the run early (`cancelled` / `failed`): the last checkpoint stays; a run-end event records why."""
        if not self.finished:
            self.finished = True
            event = {'type': 'run-end', 'status': status, 'seconds': time.time() - self.started}
            if message:
                event['message'] = message
            self.events.emit(event)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is not None:
            self.close('cancelled' if issubclass(kind, KeyboardInterrupt) else 'failed', None if value is None else str(value).splitlines()[0] if str(value) else kind.__name__)
        return False

    # ---- masks and codes ---------------------------------------------------------------------------------

    def _phase_start(self):
        info = self.phase_info()
        self.step_in_phase = 0
        self.events.emit({'type': 'phase-start', 'phase': info.index, 'targetSparsity': info.target, 'epochs': info.epochs if info.epochs is not None else 0})
        if info.index == 0:
            return
        with torch.no_grad():
            # every free weight trains again from where it is (pruned ones restart at zero); fresh optimizer state
            for t in self.tracked:
                t.active.fill_(True)
            self.applied = 0.0
            self.selected = False
            if self.optimizer is not None:
                self.optimizer.state.clear()
            self._sync_movable()
            if info.kind == 'sparse':
                self._scheduled_mask(info)

    def _scheduled_mask(self, info):
        s_idx = self.step_in_phase
        steps = self.steps_per_phase
        sp = self.sparsifier
        if sp.one_shot:
            # select once, among free weights that have trained in this phase (never among the all-zero
            # candidates a phase starts with); the rest of the phase fine-tunes the fixed mask
            if not self.selected and steps and s_idx >= max(1, math.floor(sp.select_at * steps)) and s_idx < steps:
                self._apply(info, info.target)
                self.selected = True
            return
        if steps is None or s_idx >= steps:
            return
        due = s_idx == 0 or sp.update_every == 1 or s_idx % sp.update_every == 0 or s_idx == steps - 1
        if due:
            s = info.target if s_idx == steps - 1 else sp.sparsity_at(s_idx / steps, 0.0, info.target)
            if s != self.applied:
                self._apply(info, s)

    @torch.no_grad()
    def _apply(self, info, sparsity):
        """Choose the mask for `sparsity` among free weights (rank 0's choice on every rank); zero the rest."""
        frozen = [t.codes <= info.index - 1 for t in self.tracked]
        if self.rank == 0 or not distributed():
            values = [as_f32(t.param.data).reshape(-1) for t in self.tracked]
            masks = self.sparsifier.select([v.reshape(t.param.shape) for v, t in zip(values, self.tracked)], [f.cpu() for f in frozen], sparsity)
            flat = torch.cat([m.reshape(-1) for m in masks]).to(torch.uint8)
        else:
            flat = torch.empty(sum(t.param.numel() for t in self.tracked), dtype=torch.uint8)
        if distributed():
            buf = flat.to(self._comm_device())
            dist.broadcast(buf, src=0)
            flat = buf.cpu()
        offset = 0
        for t in self.tracked:
            n = t.param.numel()
            mask = flat[offset:offset + n].reshape(t.param.shape).to(device=t.param.device, dtype=torch.bool)
            offset += n
            t.param.data.masked_fill_(~mask, 0.0)
            t.active.copy_(mask)
        self.applied = sparsity
        self._sync_movable()

    def _comm_device(self):
        return torch.device('cuda', torch.cuda.current_device()) if dist.get_backend() == 'nccl' else torch.device('cpu')

    def _sync_movable(self):
        """Free and active weights move this phase; the rest holds its value (frozen) or +0 (pruned)."""
        k = self.phase
        for t in self.tracked:
            if k == 0:
                t.movable, t.fixed, t.held = None, None, None
                continue
            t.movable = t.active & (t.codes > k - 1)
            t.fixed = ~t.movable  # kept, not recomputed every step
            t.held = torch.where(t.movable, torch.zeros((), dtype=t.param.dtype, device=t.param.device), t.param.data)

    def _finish_level(self, info, metrics):
        with torch.no_grad():
            if info.kind == 'sparse':
                # a one-shot rule that never reached its selection point selects now, at the end of the
                # phase's training; the schedules land on the target whatever their granularity
                if (not self.selected) if self.sparsifier.one_shot else self.applied != info.target:
                    self._apply(info, info.target)
                    self.selected = True
                for t in self.tracked:
                    t.codes[t.active & (t.codes == self.K + 1)] = info.index
        if metrics is None and self.evaluate is not None:
            metrics = self.evaluate()
        metrics = {k: float(v) for k, v in (metrics or {}).items() if v is not None}
        level = {'index': info.index, 'targetSparsity': info.target, 'sparsity': self.level_sparsity(info.index), 'metrics': metrics,
                 'layerSparsity': {t.name: self._tensor_level_sparsity(t, info.index) for t in self.tracked}}
        if info.kind == 'dense':
            level['dense'] = True
        self.levels.append(level)
        if self.small_mode == 'perLevel' or info.index == 1:
            state = self.module.state_dict()
            self.level_params[info.index] = {n: as_f32(state[n]).clone() for n, _ in self.small}
        if self.small_mode == 'frozen' and info.index == 1:
            # one copy (level 1) serves every level: from now on restored after every step
            self.frozen_small = [t.detach().clone() for _, t in self.small]
        self.events.emit({'type': 'level-done', 'level': info.index, 'targetSparsity': info.target, 'sparsity': level['sparsity'],
                          'accuracy': metrics.get('accuracy', float('nan')), 'loss': metrics.get('loss', float('nan'))})

    # ---- measurements --------------------------------------------------------------------------------------

    def codes(self):
        """Sparsifiable weight name -> its level codes (uint8, 1..K+1), shaped like the weight."""
        return {t.name: t.codes.clone() for t in self.tracked}

    def masks(self, level):
        return {t.name: t.codes <= level for t in self.tracked}

    def current_sparsity(self):
        off = sum(int((~t.active).sum()) for t in self.tracked)
        return off / max(1, sum(t.param.numel() for t in self.tracked))

    def layer_sparsity(self):
        return {t.name: float((~t.active).sum()) / max(1, t.param.numel()) for t in self.tracked}

    def level_sparsity(self, level):
        out = sum(int((t.codes > level).sum()) for t in self.tracked)
        return out / max(1, sum(t.param.numel() for t in self.tracked))

    @staticmethod
    def _tensor_level_sparsity(t, level):
        return float((t.codes > level).sum()) / max(1, t.codes.numel())

    # ---- files ----------------------------------------------------------------------------------------------

    def save(self, path=None, status=None):
        """Write the checkpoint (rank 0 only; other ranks return at once). Default path: the run's."""
        path = path or self.checkpoint_path
        if path is None or self.rank != 0:
            return None
        if status is None:
            status = 'complete' if self.finished and len(self.levels) == self.K + 1 else 'training'
        state = self.module.state_dict()
        weights = {n: as_f32(t) for n, t in state.items() if torch.is_floating_point(t)}
        meta = {
            'format': ELSA_FORMAT, 'kind': 'elsa', 'levels': list(self.levels), 'targets': list(self.targets),
            'topology': describe_module(self.module, [t.name for t in self.tracked]),
            'config': self.config(),
            'provenance': {'tool': 'elsa_torch', 'version': __version__, 'backend': self.backend_label(),
                           'createdAt': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
                           **({'dataset': self.dataset} if self.dataset else {}), **({'seed': self.seed} if self.seed is not None else {})},
            # the phase in progress (the next one to run after a phase ended), as the TypeScript trainer writes it
            'training': {'status': status, 'phase': self.phase, 'epoch': self.epoch, 'step': self.global_step},
        }
        codes = {t.name: t.codes.detach().cpu() for t in self.tracked}
        full = write_checkpoint(path, weights, codes, self.level_params, meta, self.small_mode)
        self.events.emit({'type': 'checkpoint', 'path': os.path.abspath(path), 'phase': self.phase, 'epoch': self.epoch})
        return full
