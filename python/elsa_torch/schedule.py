"""The phase plan a training loop walks through, and an optimizer wrapper that runs elsa.step()."""


class Phase:
    def __init__(self, index, kind, target, epochs=None, steps=None):
        self.index, self.kind, self.target, self.epochs, self.steps = index, kind, target, epochs, steps

    def __repr__(self):
        return f'Phase({self.index}, {self.kind}, target={self.target})'


class Schedule:
    """Epochs per phase (warm-up, each sparse phase, the dense phase) and steps per epoch: fixes the number
    of steps of each sparse phase, which the GMP and AC/DC schedules need."""

    def __init__(self, steps_per_epoch, warmup=1, per_phase=2, dense=1):
        for name, v, low in (('steps_per_epoch', steps_per_epoch, 1), ('warmup', warmup, 0), ('per_phase', per_phase, 1), ('dense', dense, 0)):
            if not isinstance(v, int) or v < low:
                raise ValueError(f'{name} must be an integer >= {low}, got {v!r}')
        self.steps_per_epoch, self.warmup, self.per_phase, self.dense = steps_per_epoch, warmup, per_phase, dense

    def epochs_of(self, kind):
        return {'warmup': self.warmup, 'sparse': self.per_phase, 'dense': self.dense}[kind]


class ElsaOptimizer:
    """Wraps a torch optimizer: step() is the optimizer's step followed by elsa.step()."""

    def __init__(self, optimizer, elsa):
        self.optimizer, self.elsa = optimizer, elsa

    def step(self, closure=None):
        result = self.optimizer.step(closure) if closure is not None else self.optimizer.step()
        self.elsa.step()
        return result

    def __getattr__(self, name):
        return getattr(self.optimizer, name)
