"""Typed one-line errors, named like the TypeScript side's (CheckpointError, ConfigError, UsageError)."""


class ElsaError(Exception):
    """Base class: `str(e)` is one line naming the file (when there is one) and the problem."""

    kind = 'ElsaError'

    def __init__(self, file, problem):
        self.file = file
        self.problem = problem
        super().__init__(f'{file}: {problem}' if file else problem)

    def line(self):
        return f'{self.kind}: {self}'


class CheckpointError(ElsaError):
    kind = 'CheckpointError'


class ConfigError(ElsaError):
    kind = 'ConfigError'


class UsageError(ElsaError):
    kind = 'UsageError'

    def __init__(self, problem):
        super().__init__(None, problem)
