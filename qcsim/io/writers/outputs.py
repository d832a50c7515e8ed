"""The open outputs of a run and what the results file says about it."""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["RunInfo", "RunOutputs"]


@dataclass(frozen=True)
class RunInfo:
    """What the results file says about the run (compiled from the deck by the task)."""

    task: str
    deck_text: str
    deck_file: str
    title: str | None = None
    potential_style: str | None = None
    potential_file: str | None = None
    derived: dict = field(default_factory=dict)


class RunOutputs:
    """The staged output folder and the open ``results.h5`` of one run.

    ``constants``: values of the study the writers need (K_G, gamma, ...);
    ``n_rows`` / ``n_frames``: rows of the step table and frames written.
    """

    def __init__(self, stage, info: RunInfo, constants: dict | None = None):
        from qcsim.io.results import ResultsWriter

        self.stage, self.info = stage, info
        self.constants = dict(constants or {})
        self.writer = ResultsWriter(stage.path("results.h5"), task=info.task)
        self.h5 = self.writer.h5
        self.writer.write_run(info.deck_text, info.deck_file, info.title, info.potential_style,
                              info.potential_file, derived=info.derived)
        self.n_rows = self.n_frames = 0
        self.picture = None  # the last frame's atoms by local structure (for the plots)

    def stage_path(self, name: str):
        """Where to write a file that is rewritten whole (the next commit moves it)."""
        return self.stage.path(name)

    def target(self, name: str):
        """Where to append to ``name``: its final path once committed, else the staged one."""
        final = self.stage.final_path(name)
        return final if final in getattr(self.stage, "files", ()) else self.stage.path(name)

    def commit(self) -> None:
        self.h5.flush()
        self.stage.commit()

    def close(self) -> None:
        self.writer.close()
