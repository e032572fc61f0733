"""Runs a PyTorch-engine run config (`*.elsa.json` with `"engine": {"type": "torch", ...}`) on every rank:
`torchrun --nproc_per_node N -m elsa_torch launch run.elsa.json`. The entry (`module:function`,
`script.py:function` or `script.py`) gets a `Run`: the config's levels, sparsifier, epochs, data and output
folder, and `run.elsa(...)`, which builds an Elsa wired to them. SIGTERM/SIGHUP/SIGINT stop every rank
within a step: the run ends `cancelled`, the last checkpoint stays."""
import importlib
import importlib.util
import json
import os
import runpy
import signal
import sys
import time

import torch
import torch.distributed as dist

from .core import Elsa, Schedule
from .data import default_data_dir, load_split
from .errors import ConfigError
from .events import EventLog

_current = None


def current_run():
    """The Run a script entry (`"entry": "train.py"`) was started for."""
    if _current is None:
        raise ConfigError(None, 'no ELSA run: start this script with python -m elsa_torch launch <config.elsa.json>')
    return _current


class Run:
    def __init__(self, config, path):
        self.config, self.path = config, path
        self.base_dir = os.path.dirname(os.path.abspath(path))
        self.name = config['name']
        self.levels = list(config['levels'])
        self.sparsifier = {'type': 'gmp', 'scope': 'global', 'm': 4, 'pruneEvery': 20, 'rampFraction': 0.75, **config.get('sparsifier', {})}
        self.optimizer = {'type': 'sgd', **config.get('optimizer', {})}
        self.epochs = {'warmup': 1, 'perPhase': 2, 'dense': 1, **config.get('epochs', {})}
        self.batch_size = config.get('batchSize', 64)
        self.seed = config.get('seed', 1)
        self.small_params = config.get('smallParams', 'perLevel')
        self.engine = config['engine']
        self.out_dir = os.path.join(self.base_dir, config.get('outDir', os.path.join('runs', self.name)))
        self.rank = dist.get_rank() if dist.is_initialized() else 0
        self.world_size = dist.get_world_size() if dist.is_initialized() else 1
        self.local_rank = int(os.environ.get('LOCAL_RANK', '0'))
        self.elsa_instance = None

    def data_dir(self):
        data = self.config.get('data', {})
        if data.get('path'):
            return os.path.join(self.base_dir, data['path'])
        if data.get('name') == 'fashion-mnist-small':
            return os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'fashion-mnist-small'))
        return default_data_dir()

    def data(self, split='train'):
        """(images [N, 1, H, W] float32, labels int64) of the config's dataset (limitTrain/limitTest apply)."""
        data = self.config.get('data', {})
        return load_split(self.data_dir(), split, data.get('limitTrain' if split == 'train' else 'limitTest'))

    def elsa(self, model, optimizer, steps_per_epoch, evaluate=None, **overrides):
        """An Elsa for this run: levels, sparsifier, epochs and small-parameter mode from the config; events
        and checkpoints in the run's output folder (rank 0 writes)."""
        sp = self.sparsifier
        kw = dict(levels=self.levels, sparsifier=sp['type'], scope=sp['scope'], prune_every=sp['pruneEvery'], ramp_fraction=sp['rampFraction'],
                  m=sp['m'], optimizer=optimizer, small_params=self.small_params, evaluate=evaluate, out_dir=self.out_dir, name=self.name,
                  schedule=Schedule(steps_per_epoch, warmup=self.epochs['warmup'], per_phase=self.epochs['perPhase'], dense=self.epochs['dense']),
                  config={k: v for k, v in self.config.items() if k not in ('$schema',)}, seed=self.seed,
                  dataset=os.path.basename(os.path.normpath(self.data_dir())))
        kw.update(overrides)
        self.elsa_instance = Elsa(model, **kw)
        return self.elsa_instance


def load_config(path):
    try:
        with open(path, encoding='utf-8') as f:
            config = json.load(f)
    except OSError as e:
        raise ConfigError(path, 'file not found' if isinstance(e, FileNotFoundError) else f'cannot read ({e.strerror})') from None
    except ValueError as e:
        raise ConfigError(path, f'invalid JSON: {str(e).splitlines()[0]}') from None
    if not isinstance(config, dict):
        raise ConfigError(path, 'a run config is a JSON object')
    if not isinstance(config.get('name'), str) or not isinstance(config.get('levels'), list):
        raise ConfigError(path, 'a run config needs "name" and "levels"')
    engine = config.get('engine')
    if not isinstance(engine, dict) or engine.get('type') != 'torch':
        raise ConfigError(path, 'this config does not use the PyTorch engine (add "engine": {"type": "torch", "entry": "module:function"})')
    if not isinstance(engine.get('entry'), str) or not engine['entry'].strip():
        raise ConfigError(path, '"engine.entry" must name a Python entry: "module:function", "script.py:function" or "script.py"')
    return config


def resolve_entry(entry, base_dir, path):
    """A callable taking the Run, or a script path to run as __main__."""
    script, _, func = entry.partition(':') if not entry.endswith('.py') else (entry, '', '')
    if script.endswith('.py'):
        file = script if os.path.isabs(script) else os.path.join(base_dir, script)
        if not os.path.isfile(file):
            raise ConfigError(path, f'entry script {script} not found (relative to the config file)')
        if not func:
            return file
        spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(file))[0], file)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, os.path.dirname(file))
        spec.loader.exec_module(module)
    else:
        sys.path.insert(0, base_dir)
        try:
            module = importlib.import_module(script)
        except ImportError as e:
            raise ConfigError(path, f'cannot import entry module "{script}" ({e})') from None
        func = func or 'main'
    fn = getattr(module, func, None)
    if not callable(fn):
        raise ConfigError(path, f'entry "{entry}": no function {func}')
    return fn


class Stopped(BaseException):
    """Raised in the main thread on SIGTERM/SIGHUP/SIGINT; not an Exception, so user code cannot swallow it."""


_STOP_SIGNALS = tuple(s for s in (signal.SIGTERM, signal.SIGINT, getattr(signal, 'SIGHUP', None)) if s is not None)


_stopped_by = None  # the signal's name once one arrived: the run is cancelled even if a handler swallowed Stopped


def _stop(signum, frame):
    # torchrun's agent signals its workers again while it tears down: once stopping, further signals must not
    # kill the rank before it has written its run-end event (the process exits right after that). A second
    # signal can reach this handler before the first call has switched them off: the flag makes it a no-op.
    global _stopped_by
    if _stopped_by is not None:
        return
    _stopped_by = signal.Signals(signum).name
    for sig in _STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise Stopped(_stopped_by)


# How long a rank of a multi-process run whose training failed waits for a stop signal before it reports the
# failure: when torchrun stops the ranks, the first one to stop breaks the others' collectives (gloo: "connection
# closed by peer") a moment before their own signal arrives, and that is a cancelled run, not a failed one.
PEER_STOP_GRACE_S = 2.0


def launch(config_path):
    """Runs the entry of `config_path` on this rank; returns the exit code."""
    global _current
    config = load_config(config_path)
    started = time.time()
    run = None
    status, code, message, config_error = 'complete', 0, None, None
    for sig in (signal.SIGTERM, signal.SIGINT, getattr(signal, 'SIGHUP', None)):
        if sig is not None:
            signal.signal(sig, _stop)
    try:
        try:
            if 'WORLD_SIZE' in os.environ and not dist.is_initialized():
                dist.init_process_group('nccl' if torch.cuda.is_available() and os.environ.get('ELSA_BACKEND') != 'gloo' else 'gloo')
            run = Run(config, config_path)
            _current = run
            # a fresh log: a run that fails before its Elsa exists must not show the previous run's progress
            EventLog(os.path.join(run.out_dir, 'events.jsonl'), enabled=run.rank == 0, fresh=True)
            if run.rank == 0:
                print(f'ELSA run "{run.name}" on the PyTorch engine: {len(run.levels)} levels ({", ".join(f"{s:g}" for s in run.levels)}) + dense, '
                      f'{run.world_size} process{"es" if run.world_size > 1 else ""}, output {run.out_dir}', flush=True)
            target = resolve_entry(config['engine']['entry'], run.base_dir, config_path)
            if callable(target):
                target(run)
            else:
                sys.argv = [target]
                runpy.run_path(target, run_name='__main__')
            if run.elsa_instance is None or not run.elsa_instance.finished:
                status, code, message = 'failed', 1, 'the entry returned before the last phase ended'
        except Stopped as e:
            status, code, message = 'cancelled', 130, f'stopped by {e}'
        except ConfigError as e:  # reported once, in one line, after the run-end below
            status, code, message, config_error = 'failed', 2, str(e), e
        except Exception as e:  # the user's training code: the editor shows the first line, the log the rest
            import traceback
            traceback.print_exc()
            status, code, message = 'failed', 1, f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'
            if run is not None and run.world_size > 1:
                deadline = time.time() + PEER_STOP_GRACE_S
                while time.time() < deadline:  # a stop signal arriving now raises Stopped (caught below)
                    time.sleep(0.05)
    except Stopped as e:
        # The stop signal arrived while an outcome above was being recorded (e.g. while a peer's stop was being
        # reported as a failed collective): the run was stopped, and its run-end must still be written.
        status, code, message = 'cancelled', 130, f'stopped by {e}'
    finally:
        # Until the run-end event is written a late signal is ignored (stopping is already under way).
        for sig in _STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
    if _stopped_by is not None and status != 'cancelled':
        # Stopped was raised but swallowed on its way out (user code catching BaseException, a `str()` guarded
        # by a bare except): the run was still stopped.
        status, code, message, config_error = 'cancelled', 130, f'stopped by {_stopped_by}', None
    rank0 = run.rank == 0 if run else int(os.environ.get('RANK', '0')) == 0
    name = config['name']
    if status != 'complete':
        if run is not None and run.elsa_instance is not None:
            run.elsa_instance.close(status, message)
        else:
            out_dir = run.out_dir if run else os.path.join(os.path.dirname(os.path.abspath(config_path)), config.get('outDir', os.path.join('runs', name)))
            EventLog(os.path.join(out_dir, 'events.jsonl'), enabled=rank0, fresh=False).emit(
                {'type': 'run-end', 'status': status, 'seconds': time.time() - started, 'message': message})
        if rank0 and config_error is None:
            print(f'ELSA run "{name}" {status}: {message}' + ('. The last complete phase is saved.' if status == 'cancelled' else ''), file=sys.stderr, flush=True)
    elif rank0:
        print(f'ELSA run "{name}" complete: {run.elsa_instance.checkpoint_path}', flush=True)
    for sig in _STOP_SIGNALS:  # the run-end is written: a further signal may end the process again
        signal.signal(sig, signal.SIG_DFL)
    if dist.is_initialized():
        if status == 'complete':
            dist.barrier()
        dist.destroy_process_group()
    if config_error is not None:
        raise config_error
    return code


def run_entry(fn, config_path):
    """For a script's `if __name__ == '__main__':` -- the same as `python -m elsa_torch launch config_path`."""
    from .__main__ import main
    sys.exit(main(['launch', config_path]))
