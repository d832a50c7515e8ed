"""Tasks named by a deck's ``task:`` key (relax, ...), one file each.

:func:`load_deck` and :func:`parse_deck` read a deck against the registered
tasks (the deck package itself knows no task).
"""
from __future__ import annotations

from pathlib import Path

from qcsim.tasks.base import TASKS, Stage, TaskOutcome, TaskSpec, load_tasks, register_task  # noqa: F401

__all__ = ["TASKS", "Stage", "TaskOutcome", "TaskSpec", "load_tasks", "register_task",
           "load_deck", "parse_deck"]


def load_deck(file: str | Path):
    """Read and validate the deck at ``file`` (:func:`qcsim.deck.load_deck`)."""
    from qcsim import deck

    return deck.load_deck(file, tasks=load_tasks())


def parse_deck(text: str, file: str = "<deck>", base_dir: Path | None = None):
    """Validate deck ``text`` (:func:`qcsim.deck.parse_deck`)."""
    from qcsim import deck

    return deck.parse_deck(text, file=file, base_dir=base_dir, tasks=load_tasks())
