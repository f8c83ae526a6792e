"""Exceptions raised by the simulator.

A rollback is a *result*, never an error. These exceptions mean that the input
was wrong (:class:`ScenarioError`), that a strategy asked for something the
world cannot do (:class:`StrategyError`), or that the engine itself failed
(:class:`EngineError`).
"""

from __future__ import annotations

__all__ = ["SimulatorError", "ScenarioError", "StrategyError", "EngineError"]


class SimulatorError(Exception):
    """Base class of every error the simulator raises on purpose.

    Every subclass pickles as it is (its fields and message), whatever its
    constructor takes, so an error raised in a worker process reaches the
    caller unchanged.
    """

    def __reduce__(self) -> tuple[object, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))


def _restore(cls: type[SimulatorError], args: tuple[object, ...], state: dict[str, object]) -> SimulatorError:
    """An error of class ``cls`` with ``args`` and fields ``state``, without calling its constructor."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ScenarioError(SimulatorError):
    """A scenario file or value is invalid.

    The message names the file, the key path, the bad value and what was
    expected, on one line, so the CLI can print it as it is.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        path: str | None = None,
        value: object = None,
        expected: str | None = None,
    ) -> None:
        self.file = file
        self.path = path
        self.value = value
        self.expected = expected
        self.reason = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}: "
        if self.path:
            where += f"{self.path}: "
        return f"{where}{self.reason}"

    def located(self, *, file: str | None = None, path_prefix: str | None = None) -> ScenarioError:
        """Return a copy that also names ``file`` and/or sits under ``path_prefix``."""
        path = self.path
        if path_prefix:
            path = f"{path_prefix}.{path}" if path else path_prefix
        return ScenarioError(
            self.reason,
            file=file or self.file,
            path=path,
            value=self.value,
            expected=self.expected,
        )


class StrategyError(SimulatorError):
    """A strategy issued a command that is illegal in the current state."""


class EngineError(SimulatorError):
    """The simulation engine reached a state it should never reach."""
