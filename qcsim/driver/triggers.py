"""When an operation runs: triggers on the load-step index, the last step and failures.

A trigger is asked once per completed load step with the step's
:class:`StepEvent` and answers True or False.  ``Periodic(5)`` fires on steps
5, 10, ...; ``Final()`` on the last step of the run; ``Failed()`` on a step
that did not converge; ``|`` combines them (``Periodic(5) | Final() |
Failed()``).  HOOMD-blue's operations and triggers are the model.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["StepEvent", "Trigger", "Periodic", "Final", "Failed", "Always", "AnyOf"]


@dataclass(frozen=True)
class StepEvent:
    """What a trigger sees: the index of the completed step (counted from 1 over
    the whole study, restarts included), whether it is the run's last, whether
    it converged."""

    step: int
    final: bool = False
    converged: bool = True


class Trigger:
    """Base of the triggers: ``trigger(event) -> bool``; ``a | b`` fires when either does."""

    def __call__(self, event: StepEvent) -> bool:
        raise NotImplementedError

    def __or__(self, other: "Trigger") -> "AnyOf":
        return AnyOf((self, other))


@dataclass(frozen=True)
class Periodic(Trigger):
    """Every ``period`` steps: steps ``phase + period``, ``phase + 2 period``, ..."""

    period: int
    phase: int = 0

    def __post_init__(self):
        if self.period < 1:
            raise ValueError(f"a period must be at least 1, got {self.period}")

    def __call__(self, event):
        return (event.step - self.phase) % self.period == 0


@dataclass(frozen=True)
class Final(Trigger):
    """The last step of the run."""

    def __call__(self, event):
        return event.final


@dataclass(frozen=True)
class Failed(Trigger):
    """A step that did not converge."""

    def __call__(self, event):
        return not event.converged


@dataclass(frozen=True)
class Always(Trigger):
    """Every step."""

    def __call__(self, event):
        return True


@dataclass(frozen=True)
class AnyOf(Trigger):
    """Fires when any of ``triggers`` does."""

    triggers: tuple

    def __call__(self, event):
        return any(t(event) for t in self.triggers)

    def __or__(self, other):
        return AnyOf((*self.triggers, other))
