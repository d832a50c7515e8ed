"""The task registry: a deck's ``task:`` name -> what it needs and how it runs.

A task is one file in ``qcsim/tasks/`` that calls :func:`register_task` at
import; every module of the package is imported by :func:`load_tasks`, so a
new task needs no edit elsewhere.  Its deck sections live in
``qcsim/deck/sections/``.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

__all__ = ["TaskSpec", "TaskOutcome", "RunOptions", "Stage", "TASKS", "register_task",
           "load_tasks"]


@dataclass(frozen=True)
class TaskOutcome:
    """How a task ended: ``ok`` is False when its goal was not met (not converged)."""

    ok: bool
    message: str = ""


@dataclass(frozen=True)
class RunOptions:
    """Options of one run that are not part of the deck (command-line flags).

    restart : a results file whose checkpoint the run continues from.
    progress : show a progress bar (on stderr, when it is a terminal).
    """

    restart: Path | None = None
    progress: bool = True


class Stage(Protocol):
    """Where a task writes: ``path(name)`` gives a temporary path for output ``name``."""

    final_dir: Path

    def path(self, name: str) -> Path: ...


@dataclass(frozen=True)
class TaskSpec:
    """A registered task.

    Attributes
    ----------
    name : the deck's ``task:`` value.
    run : ``run(deck, stage) -> TaskOutcome`` (see ``takes_options``).
    sections : top-level sections the deck must have.
    optional : sections it may have (absent ones get their defaults).
    check : ``check(deck, ctx)``, cross-section checks done by ``validate`` too;
        it may return the deck with values computed from the potential filled
        in (:meth:`qcsim.deck.Deck.resolved`).
    doc : one line for ``qcsim info``.
    summary : ``summary(deck) -> str``, one line printed by ``qcsim validate``.
    takes_options : ``run(deck, stage, options)`` gets the :class:`RunOptions` too.
    restartable : the task writes checkpoints and can continue from one
        (``qcsim run --restart``).
    distributed : every rank of a group runs the task together, on one model
        whose evaluation is split over them (:func:`qcsim.tasks.runner.run_comm`);
        otherwise the group's first rank runs it alone.
    """

    name: str
    run: Callable[[Any, Stage], TaskOutcome]
    sections: tuple[str, ...]
    optional: tuple[str, ...] = ()
    check: Callable[[Any, Any], Any] | None = None
    doc: str = ""
    summary: Callable[[Any], str] | None = None
    takes_options: bool = False
    restartable: bool = False
    distributed: bool = False


TASKS: dict[str, TaskSpec] = {}

_NOT_TASKS = {"base", "runner"}


def register_task(spec: TaskSpec) -> TaskSpec:
    """Make ``spec`` available under ``spec.name``."""
    TASKS[spec.name] = spec
    return spec


def load_tasks() -> dict[str, TaskSpec]:
    """Import every task module of this package; return the registry."""
    import qcsim.tasks as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if not mod.name.startswith("_") and mod.name not in _NOT_TASKS:
            importlib.import_module(f"qcsim.tasks.{mod.name}")
    return TASKS
