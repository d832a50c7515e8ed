"""Run a validated deck: pick the output folder, log to run.log, stage the outputs.

Outputs are staged (:class:`qcsim.io.OutputStage`): a run that raises leaves
nothing behind; a run whose task ends without meeting its goal (a relaxation
that did not converge) keeps its outputs, marked as such, and the caller gets
a :class:`qcsim.errors.ConvergenceError` after they are in place.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from qcsim.errors import ConvergenceError
from qcsim.io.staging import OutputStage
from qcsim.tasks.base import TaskOutcome, load_tasks

__all__ = ["RunReport", "run_deck", "output_dir_for"]

log = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


@dataclass(frozen=True)
class RunReport:
    """What a finished run produced."""

    outcome: TaskOutcome
    output_dir: Path
    files: tuple[Path, ...]


def output_dir_for(deck, override: str | Path | None = None) -> Path:
    """``-o`` if given, else the deck's ``output.dir``, else ``results/<deck name>``."""
    if override is not None:
        return Path(override)
    out = deck.sections.get("output")
    if out is not None and getattr(out, "dir", None):
        return Path(out.dir)
    return Path("results") / Path(deck.file).stem


def run_deck(deck, outdir: str | Path | None = None) -> RunReport:
    """Run ``deck``'s task; raise ConvergenceError (after writing) if its goal was not met."""
    spec = load_tasks()[deck.task]
    folder = output_dir_for(deck, outdir)
    root = logging.getLogger("qcsim")
    with OutputStage(folder) as stage:
        handler = logging.FileHandler(stage.path("run.log"), encoding="utf-8")
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.setLevel(logging.DEBUG)
        old_level = root.level
        root.addHandler(handler)
        if root.getEffectiveLevel() > logging.INFO:
            root.setLevel(logging.INFO)
        try:
            from qcsim import __version__

            log.info("qcsim %s: task %s from %s -> %s", __version__, deck.task, deck.file, folder)
            outcome = spec.run(deck, stage)
            if outcome.ok:
                log.info("done: %s", outcome.message)
            else:
                log.warning("%s", outcome.message)
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
            handler.close()
        files = tuple(stage.commit())
    report = RunReport(outcome, folder, files)
    if not outcome.ok:
        raise ConvergenceError(f"{outcome.message} (in {folder})")
    return report
